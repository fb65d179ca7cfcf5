/**
 * Records that cannot become a request (a null value, a value over endpoint.maxBodyBytes, a
 * forwarded header value HTTP cannot carry) fail permanently before any HTTP: the endpoint
 * never hears of them, they land on the dead-letter topic with their reason, and the route
 * goes on. What HTTP can carry (a body of exactly maxBodyBytes, a tab in a header) is sent.
 */
import { describe, expect } from 'vitest';
import { createRouteTopics, test } from '../support/fixtures.ts';
import { fullyCommitted, produce, readAll, recordCount, uniqueTopic, waitFor, type TestMessage } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';

const LIMIT = 1024;

/** Keyed by what each record tests; the key is also how the sink and the DLT are read. */
const poison: Record<string, { message: TestMessage; reason: string }> = {
  'null-value': { message: { value: null }, reason: 'null-value' },
  'over-limit': { message: { value: 'b'.repeat(LIMIT + 1) }, reason: 'body-too-large' },
  cr: { message: { value: 'cr', headers: { traceparent: '00-abc\rdef-01' } }, reason: 'invalid-header' },
  lf: { message: { value: 'lf', headers: { traceparent: '00-abc\ndef-01' } }, reason: 'invalid-header' },
  nul: { message: { value: 'nul', headers: { traceparent: Buffer.from('00-abc\0def-01', 'latin1') } }, reason: 'invalid-header' },
  del: { message: { value: 'del', headers: { tracestate: Buffer.from('vendor=a\x7fb', 'latin1') } }, reason: 'invalid-header' },
  bel: { message: { value: 'bel', headers: { tracestate: 'vendor=a\x07b' } }, reason: 'invalid-header' },
};

const sendable: Record<string, TestMessage> = {
  'at-limit': { value: 'a'.repeat(LIMIT) },
  tab: { value: 'tab', headers: { traceparent: '00-abc\tdef-01' } },
};

describe('poison records', () => {
  test('reach the DLT with their reason and no request; a body of exactly maxBodyBytes and a tab in a header are sent', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, retry, dlt } = await createRouteTopics(cluster, 'poison', { tiers: 1 });
    // Sendable records around the poison ones: the route goes on past each of them.
    await produce(kafka, topic, [
      { key: 'at-limit', ...sendable['at-limit']! },
      ...Object.entries(poison).map(([key, { message }]) => ({ key, ...message })),
      { key: 'tab', ...sendable['tab']! },
    ]);
    const groupId = uniqueTopic('group');
    await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: sink.url, ordering: 'partition', retry: { delays: ['1s'] }, endpoint: { url: sink.url, timeout: '1s', maxBodyBytes: LIMIT } }],
      }),
    );
    // A source offset is finished only once its DLT copy is acknowledged: committed to the end
    // means every record reached its outcome, whichever it was.
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 20_000, 100);

    // Every record finished: the endpoint heard of the sendable ones only, once each.
    expect(sink.requests.map((r) => r.headers['kafka-key']).sort()).toEqual(Object.keys(sendable).sort());
    const sent = (key: string) => sink.requests.find((r) => r.headers['kafka-key'] === key)!;
    expect(sent('at-limit').body.toString()).toBe('a'.repeat(LIMIT));
    expect(sent('tab').headers['traceparent']).toBe('00-abc\tdef-01');

    const copies = await readAll(kafka, dlt);
    expect(Object.fromEntries(copies.map((c) => [c.key?.toString(), c.headers['bridge-reason']]))).toEqual(
      Object.fromEntries(Object.entries(poison).map(([key, { reason }]) => [key, reason])),
    );
    const overLimit = copies.find((c) => c.key?.toString() === 'over-limit')!;
    expect(overLimit.value?.toString()).toBe('b'.repeat(LIMIT + 1));
    expect(overLimit.headers['bridge-error']).toContain(`${LIMIT + 1} bytes`);
    expect(copies.find((c) => c.key?.toString() === 'null-value')!.value).toBeNull();
    // Permanent: no detour through the retry topic.
    expect(await recordCount(kafka, retry[0]!)).toBe(0);
  }, 60_000);
});
