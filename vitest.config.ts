import { defineConfig } from 'vitest/config';
import { KAFKA_VERSIONS } from './tools/kafka/kafka-install.ts';

/**
 * Tests that also run on the second Kafka line (3.9): core delivery, the failure ladder and the
 * consumer group (commits, crashes, drains, rebalances). Everything runs on the default (4.x).
 */
const COMPAT = [
  'test/integration/delivers-every-record-once-and-commits-end-offsets.test.ts',
  'test/integration/commit-never-passes-a-gap.test.ts',
  'test/integration/failure-ladder-retry-tiers-and-dlt.test.ts',
  'test/integration/failure-ladder-survives-restarts-and-produce-errors.test.ts',
  'test/integration/crash-restart-and-drain-lose-nothing.test.ts',
  'test/integration/pause-survives-rebalance.test.ts',
];

export default defineConfig({
  test: {
    // Broker tests each start an Apache Kafka (a JVM) and real HTTP servers, and several
    // assert timings within a second. Two workers keep the 2-core CI machines busy without
    // letting one file's load skew another's clock.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    reporters: ['default'],
    setupFiles: ['test/support/quiet-known-warnings.ts'],
    projects: [
      { extends: true, test: { name: `kafka-${KAFKA_VERSIONS.default}`, include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: `kafka-${KAFKA_VERSIONS.compat}`, include: COMPAT, env: { KAFKA_VERSION: KAFKA_VERSIONS.compat } } },
    ],
  },
});
