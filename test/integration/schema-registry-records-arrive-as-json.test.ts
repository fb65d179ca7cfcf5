/**
 * Avro, Protobuf and JSON Schema records, written by Confluent's own Python serializers
 * through a real Schema Registry (Apicurio, Confluent API), reach the endpoint as the JSON
 * that the README's "Schemas" section documents. Poison goes to the DLT with its reason and
 * its original bytes; a registry that stops answering pauses the route, and it resumes by
 * itself.
 */
import { describe, expect } from 'vitest';
import { RegistryServer } from '../../tools/registry/registry-server.ts';
import { committedOffsets, endOffsets, fullyCommitted, produce, readAll, waitFor } from '../support/kafka-helpers.ts';
import { writeSchemaRecords, type Written } from '../support/schema-records.ts';
import { testConfig, testConfigObject, type RouteOptions } from '../support/test-bridge.ts';
import { test as base, uniqueTopic } from '../support/fixtures.ts';

const test = base
  .extend('registry', { scope: 'file' }, async ({}, { onCleanup }) => {
    const registry = await RegistryServer.start();
    onCleanup(() => registry.stop());
    return registry;
  })
  .extend('written', { scope: 'file' }, async ({ cluster, registry }): Promise<Written> => {
    const prefix = uniqueTopic('sr');
    for (const name of ['avro', 'protobuf', 'protobuf-text', 'json']) {
      for (const t of [`${prefix}-${name}`, `${prefix}-${name}-dlt`]) await cluster.createTopic({ name: t, partitions: 1 });
    }
    return writeSchemaRecords(cluster.bootstrap, registry.url, prefix);
  });

const AVRO_V1 =
  '{"id":9007199254740993,"amount":"12345.67","created":"2026-12-07T10:30:00.123Z","day":"2026-12-07","note":null,"choice":{"string":"seven"},' +
  '"customer":{"name":"Ada","tier":"GOLD"},"tags":["a","b"],"counts":{"x":1},"raw":"AP8Q","ratio":0.5}';
const AVRO_V2 = AVRO_V1.replace('"note":null', '"note":"second"').replace(/}$/, ',"channel":"app"}');
const EVENT = '{"id":"9007199254740993","kind":"SHIPPED","at":"2026-12-07T10:30:00Z","header":{"source":"warehouse"},"labels":["x","y"],"payload":"AP8=","amounts":{"eur":"250"}}';
const PERSON = '{"name":"Grace","age":85,"big":12345678901234567}';

function decoding(name: string, topic: string, url: string, more: Record<string, unknown> = {}): RouteOptions {
  return { name, topics: [topic], url, decode: { key: 'string', value: 'schema-registry' }, ...more };
}

describe('Schema Registry records', () => {
  test('Avro (a reference, logical types, two versions), Protobuf (both schema forms) and JSON Schema arrive as the documented JSON', async ({ cluster, kafka, sink, bridges, registry, written }) => {
    const { topics, ids } = written;
    const groupId = uniqueTopic('group');
    for (const suffix of ['ce', 'batch']) await cluster.createTopic({ name: `${topics.avro}-${suffix}-dlt`, partitions: 1 });
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        sections: { schemaRegistry: { url: registry.url } },
        routes: [
          decoding('avro', topics.avro, `${sink.url}/avro`, { groupId }),
          decoding('protobuf', topics.protobuf, `${sink.url}/protobuf`),
          decoding('protobuf-text', topics['protobuf-text'], `${sink.url}/protobuf-text`),
          decoding('json', topics.json, `${sink.url}/json`),
          // A filter on a decoded field, and a CloudEvent that names its schema.
          decoding('avro-ce', topics.avro, `${sink.url}/avro-ce`, {
            groupId: `${groupId}-ce`,
            payload: 'cloudevents-structured',
            filter: { value: { '/note': 'second' } },
            retry: { delays: [], topicSuffix: '-ce-retry' },
            deadLetter: { topicSuffix: '-ce-dlt' },
          }),
          // Batches carry the decoded JSON in their envelopes, with the schema that decoded it.
          decoding('avro-batch', topics.avro, `${sink.url}/avro-batch`, {
            groupId: `${groupId}-batch`,
            batch: { maxRecords: 10, maxWait: '200ms' },
            retry: { delays: [], topicSuffix: '-batch-retry' },
            deadLetter: { topicSuffix: '-batch-dlt' },
          }),
        ],
      }),
    );
    await waitFor('every route delivered', () => sink.requests.length >= 7, 30_000);
    const groups = [[groupId, topics.avro], [groupId, topics.protobuf], [groupId, topics['protobuf-text']], [groupId, topics.json], [`${groupId}-ce`, topics.avro], [`${groupId}-batch`, topics.avro]] as const;
    for (const [g, t] of groups) {
      await waitFor(`${t} committed in ${g}`, () => fullyCommitted(kafka, g, t), 20_000, 200);
      expect(await committedOffsets(kafka, g, t)).toEqual(await endOffsets(kafka, t));
    }
    await bridge.stop();
    const at = (path: string) => sink.requests.filter((r) => r.url === path).sort((a, b) => Number(a.headers['kafka-offset']) - Number(b.headers['kafka-offset']));
    const avro = at('/avro');
    // Compared as text: the id is past 2^53, and its digits must survive.
    expect(avro.map((r) => r.body.toString())).toEqual([AVRO_V1, AVRO_V2]);
    expect(avro.map((r) => r.headers['kafka-value-schema-id'])).toEqual(ids.avro.map(String));
    expect(avro[0]!.headers['kafka-value-schema-subject']).toBe(`${topics.avro}-value`);
    expect(avro.map((r) => r.headers['kafka-key'])).toEqual(['order-1', 'order-2']);
    expect(at('/protobuf').map((r) => r.body.toString())).toEqual([EVENT]);
    expect(at('/protobuf')[0]!.headers['kafka-value-schema-id']).toBe(String(ids.protobuf));
    expect(at('/protobuf-text').map((r) => r.body.toString())).toEqual([EVENT]);
    expect(at('/protobuf-text')[0]!.headers['kafka-value-schema-id']).toBe(String(ids['protobuf-text']));
    expect(at('/json').map((r) => r.body.toString())).toEqual([PERSON]);
    const ce = at('/avro-ce');
    expect(ce).toHaveLength(1);
    const event = JSON.parse(ce[0]!.body.toString()) as Record<string, unknown>;
    expect(event).toMatchObject({ specversion: '1.0', datacontenttype: 'application/json', dataschema: `${registry.url}/schemas/ids/${ids.avro[1]}` });
    expect(ce[0]!.body.toString()).toContain('"data":{"id":9007199254740993,');
    const batchText = at('/avro-batch').map((r) => r.body.toString()).join('');
    expect(batchText).toContain(`"value":${AVRO_V1},"valueEncoding":"json"`);
    expect(batchText).toContain(`"value":${AVRO_V2},"valueEncoding":"json"`);
    expect(batchText).toContain(`"valueSchema":{"id":${ids.avro[1]},"subject":"${topics.avro}-value"}`);
  }, 120_000);

  test('poison: not in the wire format, an unknown schema id, bytes the schema cannot read; each dead-lettered with its reason and its original bytes', async ({ cluster, kafka, sink, bridges, registry, written }) => {
    const good = (await readAll(kafka, written.topics.avro))[0]!.value!;
    const topic = uniqueTopic('poison');
    for (const t of [topic, `${topic}-dlt`]) await cluster.createTopic({ name: t, partitions: 1 });
    const unknownId = Buffer.concat([Buffer.from([0, 0x0f, 0x42, 0x3f, 0xff]), good.subarray(5)]);
    const cases = [Buffer.from('{"plain":"json"}'), unknownId, good.subarray(0, good.length - 9), good];
    // Our own producer writes only what this test is not about: the framing it breaks on purpose.
    await produce(kafka, topic, cases.map((value, i) => ({ key: `k${i}`, value })));
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({ bootstrap: cluster.bootstrap, groupId, sections: { schemaRegistry: { url: registry.url } }, routes: [decoding('poison', topic, sink.url)] }),
    );
    await waitFor('committed to the end', () => fullyCommitted(kafka, groupId, topic), 30_000, 200);
    await bridge.stop();
    expect(sink.requests.map((r) => r.body.toString())).toEqual([AVRO_V1]);
    const dead = (await readAll(kafka, `${topic}-dlt`)).sort((a, b) => String(a.key).localeCompare(String(b.key)));
    expect(dead.map((r) => [r.key!.toString(), r.headers['bridge-reason']])).toEqual([
      ['k0', 'not-wire-format'],
      ['k1', 'schema-not-found'],
      ['k2', 'schema-decode-failed'],
    ]);
    dead.forEach((r, i) => expect(r.value!.equals(cases[i]!)).toBe(true));
  }, 90_000);

  test('a registry that stops answering pauses only the routes that need it; cached schemas keep flowing; nothing reaches the DLT', async ({ cluster, kafka, sink, bridges, registry, written }) => {
    const late = uniqueTopic('late');
    for (const t of [late, `${late}-dlt`]) await cluster.createTopic({ name: t, partitions: 1 });
    const jsonRecord = (await readAll(kafka, written.topics.json))[0]!.value!;
    const protoRecord = (await readAll(kafka, written.topics.protobuf))[0]!.value!;
    const groupId = uniqueTopic('group');
    const { bridge } = await bridges.inProcess(
      testConfig({
        bootstrap: cluster.bootstrap,
        groupId,
        sections: { schemaRegistry: { url: registry.url, timeout: '1s' } },
        routes: [decoding('json', written.topics.json, `${sink.url}/json`), decoding('late', late, `${sink.url}/late`)],
      }),
    );
    const ready = async () => (await (await fetch(`http://127.0.0.1:${bridge.port}/ready`)).json()) as { routes: { name: string; paused: boolean; pausedReasons: string[] }[] };
    try {
      await waitFor('the JSON Schema record delivered', () => sink.requests.length >= 1, 20_000);
      registry.freeze();
      await produce(kafka, written.topics.json, [{ key: 'again', value: jsonRecord }]);
      await produce(kafka, late, [{ key: 'late', value: protoRecord }]);
      await waitFor('the cached schema keeps flowing', () => sink.requests.filter((r) => r.url === '/json').length >= 2, 20_000);
      await waitFor('the route needing an unknown schema paused', async () => (await ready()).routes.find((r) => r.name === 'late')?.pausedReasons.includes('schema-registry') === true, 20_000, 200);
      expect((await ready()).routes.find((r) => r.name === 'json')?.paused).toBe(false);
      expect(sink.requests.filter((r) => r.url === '/late')).toHaveLength(0);
    } finally {
      registry.thaw();
    }
    await waitFor('resumed and delivered', () => sink.requests.some((r) => r.url === '/late'), 60_000, 200);
    await waitFor('committed to the end', async () => (await fullyCommitted(kafka, groupId, late)) && fullyCommitted(kafka, groupId, written.topics.json), 20_000, 200);
    await bridge.stop();
    expect(sink.requests.find((r) => r.url === '/late')!.body.toString()).toBe(EVENT);
    expect(await readAll(kafka, `${late}-dlt`)).toHaveLength(0);
    expect(await readAll(kafka, `${written.topics.json}-dlt`)).toHaveLength(0);
  }, 120_000);

  test('check says the registry answers, and exits 1 naming the registry when it does not', async ({ cluster, bridges, registry, written }) => {
    const config = (url: string) =>
      testConfigObject({ bootstrap: cluster.bootstrap, groupId: uniqueTopic('group'), sections: { schemaRegistry: { url, timeout: '2s' } }, routes: [decoding('json', written.topics.json, 'http://127.0.0.1:9/never')] });
    const ok = bridges.spawn(config(registry.url), ['check']);
    expect(await ok.exited).toBe(0);
    expect(ok.logs[0]).toEqual({ raw: 'ok: configuration valid, 1 route(s), every topic exists, the schema registry answers' });
    // A URL that is not the API's base answers a bare 404: that is no registry, not "no schema".
    const wrong = bridges.spawn(config(registry.url.replace('/apis/ccompat/v7', '/apis/nothing')), ['check']);
    expect(await wrong.exited).toBe(1);
    expect(wrong.stderr.join('')).toContain('answered 404 without a registry error code: is schemaRegistry.url the base of the Confluent API? (SCHEMA_REGISTRY_UNREACHABLE)');
    const down = bridges.spawn(config('http://127.0.0.1:9/apis/ccompat/v7'), ['check']);
    expect(await down.exited).toBe(1);
    expect(down.stderr.join('')).toMatch(/^kafka-http-bridge: the schema registry at http:\/\/127\.0\.0\.1:9\/apis\/ccompat\/v7 does not answer: .+ \(SCHEMA_REGISTRY_UNREACHABLE\)\n$/);
  }, 60_000);
});
