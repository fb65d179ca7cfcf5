/**
 * Per-record endpoint paths and queries (`endpoint.url` placeholders) against real Kafka and a
 * real HTTP server: hostile keys stay inside their segment, the host never changes, a record
 * without a value for a placeholder goes to the dead-letter topic as template-missing, and
 * one whose key would be a `..` path segment as template-invalid.
 */
import { describe, expect } from 'vitest';
import { fullyCommitted, produce, readAll, uniqueTopic, waitFor, type TestMessage } from '../support/kafka-helpers.ts';
import { testConfig } from '../support/test-bridge.ts';
import { createRouteTopics, test } from '../support/fixtures.ts';

describe('URL templates', () => {
  test('placeholders are percent-encoded into their segment; missing values dead-letter the record', async ({ cluster, kafka, sink, bridges }) => {
    const { topic, dlt } = await createRouteTopics(cluster, 'template');
    const tenant = { tenant: 't 1' };
    const records: TestMessage[] = [
      { key: 'c-1', value: '1', headers: tenant },
      { key: '../admin', value: '2', headers: tenant },
      { key: 'a/b?c=d#e', value: '3', headers: tenant },
      { key: '..', value: '4', headers: tenant },
      { key: Buffer.from([0xff, 0x2f]), value: '5', headers: tenant },
      { key: 'évènement', value: '6', headers: tenant },
      { key: null, value: '7', headers: tenant },
      { key: 'c-8', value: '8' },
    ];
    await produce(kafka, topic, records);
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        routes: [{ topics: [topic], url: `${sink.url}/customers/{key}/events?partition={partition}&offset={offset}&tenant={header:Tenant}&t={topic}`, ordering: 'partition' }],
      }),
    );
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 30_000, 250);
    await bridge.stop();

    const query = (o: number) => `?partition=0&offset=${o}&tenant=t%201&t=${topic}`;
    expect(sink.requests.map((r) => r.url)).toEqual([
      `/customers/c-1/events${query(0)}`,
      `/customers/..%2Fadmin/events${query(1)}`,
      `/customers/a%2Fb%3Fc%3Dd%23e/events${query(2)}`,
      `/customers/%FF%2F/events${query(4)}`,
      `/customers/%C3%A9v%C3%A8nement/events${query(5)}`,
    ]);
    // Every path has exactly its three segments, whatever the key: nothing escaped its place.
    for (const r of sink.requests) expect(new URL(r.url, sink.url).pathname.split('/').filter(Boolean)).toHaveLength(3);
    const dead = await readAll(kafka, dlt);
    expect(dead.map((r) => [r.value!.toString(), r.headers['bridge-reason']])).toEqual([
      ['4', 'template-invalid'],
      ['7', 'template-missing'],
      ['8', 'template-missing'],
    ]);
    expect(dead[1]!.headers['bridge-error']).toContain('{key}');
    expect(dead[2]!.headers['bridge-error']).toContain('{header:Tenant}');
  }, 60_000);
});
