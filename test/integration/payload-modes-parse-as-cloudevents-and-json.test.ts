/**
 * `routes[].payload` against real Kafka and a real HTTP server: what the endpoint receives is
 * read with the official CloudEvents SDK (binary and structured modes) and with JSON.parse
 * (envelope). Records that already are CloudEvents in the Kafka binding pass through.
 */
import { describe, expect } from 'vitest';
import { HTTP, type CloudEvent } from 'cloudevents';
import type { SinkRequest } from '../support/recording-sink.ts';
import { fullyCommitted, produce, uniqueTopic, waitFor, type TestMessage } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

const RECORDS: TestMessage[] = [
  { key: 'customer-7', value: '{"amount":5}', headers: { 'content-type': 'application/json', 'event-type': 'order.paid' } },
  { key: null, value: 'hello' },
  {
    key: 'k',
    value: '{"n":1}',
    headers: { ce_specversion: '1.0', ce_id: 'evt-1', ce_source: '/shop', ce_type: 'shop.order', ce_myext: 'x', 'content-type': 'application/json' },
  },
  { key: 'k', value: '{"specversion":"1.0","source":"/legacy","type":"legacy.thing","data":{"k":"v"}}', headers: { 'content-type': 'application/cloudevents+json' } },
];

const MODES = ['envelope', 'cloudevents-binary', 'cloudevents-structured'] as const;

function toEvent(req: SinkRequest): CloudEvent<unknown> {
  const event = HTTP.toEvent({ headers: req.headers, body: req.body.toString('utf8') });
  return (Array.isArray(event) ? event[0] : event) as CloudEvent<unknown>;
}

describe('payload modes', () => {
  test('envelope and CloudEvents in both content modes, checked by JSON.parse and the CloudEvents SDK', async ({ cluster, kafka, sink, bridges }) => {
    const topics: Record<string, string> = {};
    for (const mode of MODES) {
      topics[mode] = (await createRouteTopics(cluster, `payload-${mode}`)).topic;
      await produce(kafka, topics[mode]!, RECORDS);
    }
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: MODES.map((mode) => ({
          name: mode,
          topics: [topics[mode]!],
          url: `${sink.url}/${mode}`,
          ordering: 'partition',
          payload: mode,
          cloudEvents: { type: 'com.example.default', typeHeader: 'event-type' },
        })),
      }),
    );
    await waitFor('every record delivered', () => sink.requests.length >= MODES.length * RECORDS.length, 30_000);
    for (const mode of MODES) await waitFor(`${mode} committed`, () => fullyCommitted(kafka, groupId, topics[mode]!), 20_000, 250);
    await bridge.stop();
    const received = (mode: string) => sink.requests.filter((r) => r.url === `/${mode}`).sort((a, b) => Number(a.headers['kafka-offset']) - Number(b.headers['kafka-offset']));

    const envelopes = received('envelope').map((r) => {
      expect(r.headers['content-type']).toBe('application/json');
      return JSON.parse(r.body.toString()) as Record<string, unknown>;
    });
    const t = topics['envelope']!;
    expect(envelopes[0]).toMatchObject({ topic: t, partition: 0, offset: '0', key: 'customer-7', keyEncoding: 'utf8', value: { amount: 5 }, valueEncoding: 'json', idempotencyKey: `${t}-0-0` });
    expect(envelopes[1]).toMatchObject({ key: null, value: 'hello', valueEncoding: 'utf8' });

    for (const mode of ['cloudevents-binary', 'cloudevents-structured'] as const) {
      const requests = received(mode);
      if (mode === 'cloudevents-structured') for (const r of requests) expect(r.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      else for (const r of requests) expect(r.headers['ce-specversion']).toBe('1.0');
      const [made, plain, binary, structured] = requests.map(toEvent);
      const topic = topics[mode]!;
      expect(made).toMatchObject({
        specversion: '1.0',
        id: `${topic}-0-0`,
        source: `kafka://${cluster.bootstrap.split(',')[0]}/${topic}`,
        type: 'order.paid',
        subject: 'customer-7',
        datacontenttype: 'application/json',
        data: { amount: 5 },
      });
      expect(new Date(made!.time!).getTime()).toBe(Number(requests[0]!.headers['kafka-timestamp']));
      expect(plain).toMatchObject({ id: `${topic}-0-1`, type: 'com.example.default', data: 'hello' });
      expect(plain!.subject).toBeUndefined();
      // Already events: their attributes pass unchanged, extensions included.
      expect(binary).toMatchObject({ id: 'evt-1', source: '/shop', type: 'shop.order', myext: 'x', data: { n: 1 } });
      // An event without an id gets the original coordinates as its id, and nothing else changes.
      expect(structured).toMatchObject({ id: `${topic}-0-3`, source: '/legacy', type: 'legacy.thing', data: { k: 'v' } });
    }
  }, 60_000);
});
