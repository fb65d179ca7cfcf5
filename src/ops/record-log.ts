/**
 * Log lines about records, as an event listener. Every line names route, topic, partition
 * and offset (the record's own coordinates; `origin` too when it came from a retry topic).
 * Successful deliveries are debug: at thousands per second they would drown the rest.
 */
import type { Logger } from 'pino';
import type { BridgeRecord } from '../kafka/record.ts';
import type { RecordEvents } from '../record-events.ts';

function where(route: string, record: BridgeRecord): Record<string, unknown> {
  const own = { route, topic: record.topic, partition: record.partition, offset: record.offset };
  if (record.tier === 0) return own;
  return { ...own, origin: `${record.origin.topic}/${record.origin.partition}/${record.origin.offset}` };
}

export function logRecordEvents(events: RecordEvents, logger: Logger): void {
  events.on('attempted', ({ route, record, attempt, result }) => {
    if (result.verdict === 'delivered' || !logger.isLevelEnabled('debug')) return;
    logger.debug({ ...where(route, record), attempt, reason: result.reason, status: result.status }, result.message);
  });
  events.on('finished', ({ route, record, outcome, result, target }) => {
    if (outcome === 'delivered' || outcome === 'discarded' || outcome === 'filtered') {
      if (logger.isLevelEnabled('debug')) logger.debug({ ...where(route, record), outcome }, `record ${outcome}`);
      return;
    }
    logger.warn(
      { ...where(route, record), outcome, target, reason: result?.reason, status: result?.status },
      `record ${outcome}: ${result?.message ?? ''}`,
    );
  });
  events.on('failingAlone', ({ route, record, result, attempts, judged }) => {
    logger.warn(
      { ...where(route, record), reason: result.reason, status: result.status, attempts, judged },
      'record fails on its own: it takes its next ladder step while the route goes on',
    );
  });
  events.on('copyFailed', ({ route, record, target, error }) => {
    logger.warn({ ...where(route, record), target, error }, 'writing a copy failed; the record stays unfinished and the copy is written again');
  });
  events.on('abandoned', ({ route, record }) => {
    logger.info(where(route, record), 'record abandoned (partition revoked or shutdown deadline); it will be fetched again');
  });
}
