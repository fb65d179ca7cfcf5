/**
 * The bridge talks to Apache Kafka over TLS, SASL/SCRAM-SHA-512 and SASL/PLAIN over TLS, with
 * certificates made by openssl for this file. It delivers through each, and a wrong password
 * or a CA that did not sign the brokers' certificate stops it at start with the documented
 * error and exit status, within a bounded time: never a hang.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { createRouteTopics, startCluster, test } from '../support/fixtures.ts';
import { fullyCommitted, produce, uniqueTopic, waitFor } from '../support/kafka-helpers.ts';
import { testConfigObject } from '../support/test-bridge.ts';
import { makeTestPki, type TestPki } from '../support/test-certificates.ts';

const USERS = { plain: { name: 'bridge-plain', password: 'plain-pw-7c1e' }, scram: { name: 'bridge-scram', password: 'scram-pw-3a9d' } };

interface Secure {
  readonly pki: TestPki;
  readonly passwordFile: (password: string) => string;
}

const secureTest = test
  .extend('secure', { scope: 'file' }, async ({}, { onCleanup }): Promise<Secure> => {
    const pki = makeTestPki();
    onCleanup(() => pki.remove());
    let n = 0;
    return {
      pki,
      passwordFile: (password) => {
        const file = join(pki.dir, `password-${n++}`);
        writeFileSync(file, `${password}\n`);
        return file;
      },
    };
  })
  .override('cluster', { scope: 'file' }, async ({ secure }, { onCleanup }) => {
    // Kafka reads a PEM keystore as one file: the private key, then the certificate chain.
    const keystore = join(secure.pki.dir, 'broker-keystore.pem');
    writeFileSync(keystore, `${secure.pki.server.key}\n${secure.pki.server.cert}`);
    const cluster = await startCluster({
      security: {
        keystorePem: keystore,
        plainUsers: { [USERS.plain.name]: USERS.plain.password },
        scramUsers: { [USERS.scram.name]: USERS.scram.password },
      },
    });
    onCleanup(() => cluster.close());
    return cluster;
  });

describe('Kafka over TLS and SASL', () => {
  secureTest('delivers over TLS, over SCRAM-SHA-512 and over PLAIN with TLS', async ({ cluster, kafka, sink, bridges, secure }) => {
    const ways: Record<string, { brokers: string; kafka: Record<string, unknown> }> = {
      tls: { brokers: cluster.listeners.ssl!, kafka: { tls: { enabled: true, ca: secure.pki.ca.certFile } } },
      scram: {
        brokers: cluster.listeners.scram!,
        kafka: { sasl: { mechanism: 'scram-sha-512', username: USERS.scram.name, password: { fromFile: secure.passwordFile(USERS.scram.password) } } },
      },
      plainOverTls: {
        brokers: cluster.listeners.plainSsl!,
        kafka: {
          tls: { enabled: true, ca: secure.pki.ca.certFile },
          sasl: { mechanism: 'plain', username: USERS.plain.name, password: { fromFile: secure.passwordFile(USERS.plain.password) } },
        },
      },
    };
    for (const [way, { brokers, kafka: security }] of Object.entries(ways)) {
      const { topic } = await createRouteTopics(cluster, `secure-${way}`, { partitions: 2 });
      await produce(kafka, topic, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `${way}-${i}` })));
      const groupId = uniqueTopic('group');
      const config = testConfigObject({ bootstrap: brokers, groupId, routes: [{ topics: [topic], url: sink.url }], kafka: security, logLevel: 'info' });
      const p = bridges.spawn(config);
      await waitFor(`${way}: every record delivered`, () => sink.requests.filter((r) => r.body.toString().startsWith(`${way}-`)).length >= 50, 30_000);
      await waitFor(`${way}: committed to the end`, () => fullyCommitted(kafka, groupId, topic), 15_000, 200);
      p.child.kill('SIGTERM');
      expect(await p.exited, way).toBe(0);
    }
  }, 120_000);

  secureTest('a wrong SCRAM password stops the bridge at start with exit 1 and the error, without hanging', async ({ cluster, bridges, secure }) => {
    const { topic } = await createRouteTopics(cluster, 'wrong-password');
    const config = testConfigObject({
      bootstrap: cluster.listeners.scram!,
      groupId: uniqueTopic('group'),
      routes: [{ topics: [topic], url: 'http://127.0.0.1:9/' }],
      kafka: { sasl: { mechanism: 'scram-sha-512', username: USERS.scram.name, password: { fromFile: secure.passwordFile('not-the-password') } } },
    });
    const started = Date.now();
    const p = bridges.spawn(config);
    expect(await p.exited).toBe(1);
    expect(Date.now() - started, 'a refused password is final: no retries').toBeLessThan(15_000);
    expect(p.stderr.join('')).toMatch(/^kafka-http-bridge: Kafka \(127\.0\.0\.1:\d+\) refused the credentials of kafka\.sasl \(scram-sha-512\): .*\(KAFKA_AUTH_FAILED\)\n$/);
    expect(p.logs.find((l) => l['level'] === 60)).toMatchObject({ code: 'KAFKA_AUTH_FAILED' });
    expect(p.stderr.join('')).not.toContain('not-the-password');
  }, 90_000);

  secureTest('an untrusted CA stops the bridge at start with exit 1 and the error, without hanging', async ({ cluster, bridges, secure }) => {
    const { topic } = await createRouteTopics(cluster, 'untrusted');
    const config = testConfigObject({
      bootstrap: cluster.listeners.ssl!,
      groupId: uniqueTopic('group'),
      routes: [{ topics: [topic], url: 'http://127.0.0.1:9/' }],
      kafka: { tls: { enabled: true, ca: secure.pki.otherCa.certFile } },
    });
    const started = Date.now();
    const p = bridges.spawn(config);
    expect(await p.exited).toBe(1);
    // kafkajs retries a connection for about ten seconds before it gives up; bounded, not a hang.
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(p.stderr.join('')).toMatch(/^kafka-http-bridge: could not connect to Kafka \(127\.0\.0\.1:\d+\): .*certificate.*; check kafka\.brokers, kafka\.tls\.ca and kafka\.tls\.servername \(KAFKA_UNREACHABLE\)\n$/);
    expect(p.logs.find((l) => l['level'] === 60)).toMatchObject({ code: 'KAFKA_UNREACHABLE' });
  }, 90_000);

  secureTest('check names the same error and exits 1', async ({ cluster, bridges, secure }) => {
    const { topic } = await createRouteTopics(cluster, 'check-refused');
    const config = testConfigObject({
      bootstrap: cluster.listeners.scram!,
      groupId: uniqueTopic('group'),
      routes: [{ topics: [topic], url: 'http://127.0.0.1:9/' }],
      kafka: { sasl: { mechanism: 'scram-sha-512', username: USERS.scram.name, password: { fromFile: secure.passwordFile('wrong') } } },
    });
    const p = bridges.spawn(config, ['check']);
    expect(await p.exited).toBe(1);
    expect(p.stderr.join('')).toMatch(/refused the credentials of kafka\.sasl .*\(KAFKA_AUTH_FAILED\)\n$/);
  }, 60_000);
});
