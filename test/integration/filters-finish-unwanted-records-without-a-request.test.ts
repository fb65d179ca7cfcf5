/**
 * `routes[].filter` against real Kafka and a real HTTP server: only matching records are
 * sent, the others are finished on purpose and counted, a value that is not JSON never
 * matches a value condition (and never crashes anything), and the group's committed offsets,
 * read through the admin API, reach the end offsets all the same.
 */
import { describe, expect } from 'vitest';
import { fullyCommitted, produce, uniqueTopic, waitFor, type TestMessage } from '../support/kafka-helpers.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

const order = (key: string | null, type: string | undefined, value: string): TestMessage => ({
  key,
  value,
  ...(type === undefined ? {} : { headers: { 'Event-Type': type } }),
});

describe('filters', () => {
  test('only records matching key, header and value conditions are sent; the rest are committed and counted', async ({ cluster, kafka, sink, bridges }) => {
    const { topic } = await createRouteTopics(cluster, 'filter', { partitions: 2 });
    const records: (TestMessage & { want: boolean })[] = [
      { ...order('customer-1', 'order.paid', '{"status":"paid","n":1}'), want: true },
      { ...order('customer-2', 'order.paid', '{"status":"open","n":2}'), want: false }, // value differs
      { ...order('vendor-3', 'order.paid', '{"status":"paid","n":3}'), want: false }, // key does not match
      { ...order('customer-4', 'refund.paid', '{"status":"paid","n":4}'), want: false }, // header does not match
      { ...order('customer-5', undefined, '{"status":"paid","n":5}'), want: false }, // header missing
      { ...order('customer-6', 'order.paid', 'status=paid, not JSON'), want: false }, // value not JSON
      { ...order(null, 'order.paid', '{"status":"paid","n":7}'), want: false }, // no key
      { ...order('customer-8', 'order.created', '{"status":"paid","n":8,"extra":[1]}'), want: true },
    ];
    const many = Array.from({ length: 200 }, (_, i) => ({ ...order(`customer-${100 + i}`, 'order.paid', JSON.stringify({ status: i % 2 === 0 ? 'paid' : 'open', n: 100 + i })), want: i % 2 === 0 }));
    await produce(kafka, topic, [...records, ...many]);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ name: 'paid', topics: [topic], url: sink.url, filter: { key: '^customer-', headers: { 'event-type': '^order\\.' }, value: { '/status': 'paid' } } }],
      }),
    );
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 30_000, 250);
    const metrics = parsePrometheusText(await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text());
    await bridge.stop();

    const wanted = [...records, ...many].filter((r) => r.want).map((r) => (JSON.parse(String(r.value)) as { n: number }).n);
    const sent = sink.requests.map((r) => (JSON.parse(r.body.toString()) as { n: number }).n);
    expect(sent.sort((a, b) => a - b)).toEqual(wanted.sort((a, b) => a - b));
    const filtered = metrics.find((s) => s.name === 'kafka_http_bridge_filtered_total' && s.labels['route'] === 'paid')?.value;
    expect(filtered).toBe(records.length + many.length - wanted.length);
    const byOutcome = (outcome: string) => metrics.find((s) => s.name === 'kafka_http_bridge_deliveries_total' && s.labels['outcome'] === outcome)?.value;
    expect(byOutcome('filtered')).toBe(filtered);
    expect(byOutcome('delivered')).toBe(wanted.length);
  }, 60_000);
});
