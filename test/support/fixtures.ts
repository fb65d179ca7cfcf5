/**
 * The fixtures every broker test shares, through vitest's `test.extend`:
 *
 * - `cluster` (one per test file): a real Apache Kafka broker from tools/kafka, of the
 *   version in $KAFKA_VERSION (default: the newest 4.x). Tests stay independent through
 *   fresh topic and group names, not fresh brokers.
 * - `kafka`: a kafkajs client for it (admin, producers, readers in tests).
 * - `sink`: a recording HTTP server, stopped after the test.
 * - `bridges`: starts bridges in-process or as child processes (the real CLI), and stops
 *   every one of them after the test, whatever happened.
 *
 * Usage: `import { test } from '../support/fixtures.ts'` and `test('…', async ({ cluster, sink, bridges }) => …)`.
 */
import { test as base } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { Bridge } from '../../src/bridge.ts';
import type { BridgeConfig } from '../../src/config/types.ts';
import { uniqueTopic } from './kafka-helpers.ts';
import { startCluster } from './test-cluster.ts';
import { RecordingSink } from './recording-sink.ts';
import { LogSink, spawnBridge, startInProcess, type BridgeProcess } from './test-bridge.ts';

export interface Bridges {
  /** A bridge in this process, with its logs parsed into `logs.lines`. */
  inProcess(config: BridgeConfig, logs?: LogSink): Promise<{ bridge: Bridge; logs: LogSink }>;
  /** The real CLI as a child process (for kill -9, SIGTERM, exit statuses). */
  spawn(config: Record<string, unknown> | string, args?: string[]): BridgeProcess;
}

export const test = base
  .extend('cluster', { scope: 'file' }, async ({}, { onCleanup }) => {
    const cluster = await startCluster();
    onCleanup(() => cluster.close());
    return cluster;
  })
  .extend('kafka', { scope: 'file' }, ({ cluster }): Kafka => cluster.client())
  .extend('sink', async ({}, { onCleanup }) => {
    const sink = await RecordingSink.start();
    onCleanup(() => sink.stop());
    return sink;
  })
  .extend('bridges', async ({}, { onCleanup }): Promise<Bridges> => {
    const inProcess: Bridge[] = [];
    const children: BridgeProcess[] = [];
    onCleanup(async () => {
      await Promise.allSettled(inProcess.map((b) => b.stop()));
      for (const p of children) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(children.map((p) => p.exited));
    });
    return {
      async inProcess(config, logs) {
        const started = await startInProcess(config, logs);
        inProcess.push(started.bridge);
        return started;
      },
      spawn(config, args) {
        const p = spawnBridge(config, args);
        children.push(p);
        return p;
      },
    };
  });

export { uniqueTopic };
export { createRouteTopics, kafkaVersion, startCluster, type RouteTopics } from './test-cluster.ts';
