/**
 * A record's first steps on a route, before any attempt: received, decoded (src/decode) when
 * the route decodes, then the pre-flight checks. Shared by one-by-one and batched delivery.
 *
 * While the Schema Registry is down the route pauses and the record waits in the decode step;
 * nothing is spent of its attempts or its ladder. A route that decodes nothing takes none of
 * this asynchronously: no await per record on the common path.
 */
import type { RouteConfig } from '../config/types.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import type { DeliveryParts } from './escalate.ts';
import { Outcome, Verdict, type AttemptResult } from './outcome.ts';
import type { RecordFilter } from './route-filter.ts';

/** Outcomes a record gets on purpose, without a request. */
export type Dropped = typeof Outcome.filtered | typeof Outcome.discarded;

/**
 * Decides, before any HTTP, whether a record is sent at all: `filtered` (the route's filter
 * does not want it), `discarded` (a tombstone the route drops), a permanent failure (it cannot
 * become a request), or undefined: send it.
 */
export function preflight(record: BridgeRecord, route: RouteConfig, filter: RecordFilter | undefined): AttemptResult | Dropped | undefined {
  if (filter !== undefined && !filter(record)) return Outcome.filtered;
  if (route.maxRecordAge !== undefined) {
    // By the original timestamp: a record that waited in a retry tier ages there too.
    const age = Date.now() - Number(record.origin.timestamp);
    if (age > route.maxRecordAge) return { verdict: Verdict.permanent, reason: 'expired', message: `record is ${Math.round(age / 1000)} s old, maxRecordAge is ${Math.round(route.maxRecordAge / 1000)} s` };
  }
  if (record.value === null && route.nullValue !== 'deliver') {
    if (route.nullValue === 'discard') return Outcome.discarded;
    return { verdict: Verdict.permanent, reason: 'null-value', message: 'record has no value (tombstone)' };
  }
  if (record.value !== null && record.value.length > route.endpoint.maxBodyBytes) {
    return {
      verdict: Verdict.permanent,
      reason: 'body-too-large',
      message: `value is ${record.value.length} bytes, endpoint.maxBodyBytes is ${route.endpoint.maxBodyBytes}`,
    };
  }
  return undefined;
}

/** The record the attempts work on (a decoded view, or the record) and what pre-flight said. */
export interface FirstStep {
  readonly record: BridgeRecord;
  readonly early: AttemptResult | Dropped | undefined;
}

/** Undefined when the record was abandoned while it waited (the event is emitted here). */
export function firstStep(parts: DeliveryParts, kafkaRecord: BridgeRecord, signal: AbortSignal): FirstStep | undefined | Promise<FirstStep | undefined> {
  parts.events.emit('received', { route: parts.route.name, record: kafkaRecord });
  if (!parts.decoder.active) return { record: kafkaRecord, early: preflight(kafkaRecord, parts.route, parts.filter) };
  return decoded(parts, kafkaRecord, signal);
}

async function decoded(parts: DeliveryParts, kafkaRecord: BridgeRecord, signal: AbortSignal): Promise<FirstStep | undefined> {
  for (;;) {
    const result = await parts.decoder.decode(kafkaRecord);
    if ('record' in result) return { record: result.record, early: preflight(result.record, parts.route, parts.filter) };
    if ('poison' in result) return { record: kafkaRecord, early: result.poison };
    if (!(await parts.flow.waitOut(result.outage, signal))) {
      parts.events.emit('abandoned', { route: parts.route.name, record: kafkaRecord });
      return undefined;
    }
  }
}
