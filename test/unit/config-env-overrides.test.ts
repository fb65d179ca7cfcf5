import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { problemsOf } from '../support/config-problems.ts';

const text = stringify({
  kafka: { brokers: ['file-broker:9092'], groupId: 'from-file', sessionTimeout: '45s' },
  server: { port: 9000 },
  log: { level: 'warn' },
  routes: [{ name: 'orders', topics: ['orders'], endpoint: { url: 'http://localhost:3000/orders' } }],
});

const problemsFor = (env: NodeJS.ProcessEnv): string[] => problemsOf(text, env);

describe('environment overrides', () => {
  it('uses the file when no variable is set', () => {
    const config = parseConfig(text, {});
    expect(config.kafka.brokers).toEqual(['file-broker:9092']);
    expect(config.kafka.groupId).toBe('from-file');
    expect(config.server.port).toBe(9000);
    expect(config.log.level).toBe('warn');
  });

  it('lets KAFKA_BROKERS, KAFKA_GROUP_ID, PORT and LOG_LEVEL override the file', () => {
    const config = parseConfig(text, {
      KAFKA_BROKERS: 'b1:9092, b2:9093,[::1]:9094',
      KAFKA_GROUP_ID: 'from-env',
      PORT: '8081',
      LOG_LEVEL: 'debug',
    });
    expect(config.kafka.brokers).toEqual(['b1:9092', 'b2:9093', '[::1]:9094']);
    expect(config.kafka.groupId).toBe('from-env');
    expect(config.server.port).toBe(8081);
    expect(config.log.level).toBe('debug');
  });

  it('overrides defaults too', () => {
    const config = parseConfig(
      stringify({ kafka: { sessionTimeout: '45s' }, routes: [{ name: 'a', topics: ['a'], endpoint: { url: 'http://x/' } }] }),
      { PORT: '0', KAFKA_BROKERS: 'k:1' },
    );
    expect(config.server.port).toBe(0);
    expect(config.kafka.brokers).toEqual(['k:1']);
  });

  it('ignores variables set to an empty string', () => {
    const config = parseConfig(text, { KAFKA_BROKERS: '', KAFKA_GROUP_ID: '', PORT: '', LOG_LEVEL: '' });
    expect(config.kafka.brokers).toEqual(['file-broker:9092']);
    expect(config.server.port).toBe(9000);
  });

  it('validates env values like file values and names the variable', () => {
    expect(problemsFor({ PORT: 'abc', LOG_LEVEL: 'verbose', KAFKA_BROKERS: 'ok:9092,,nohost', KAFKA_GROUP_ID: 'a\u0007b' })).toEqual([
      'kafka.brokers[1] (env KAFKA_BROKERS): must be host:port, e.g. broker-1:9092 (got "")',
      'kafka.brokers[2] (env KAFKA_BROKERS): must be host:port, e.g. broker-1:9092 (got "nohost")',
      'kafka.groupId (env KAFKA_GROUP_ID): must not contain control characters (got "a\\u0007b")',
      'server.port (env PORT): must be a port number from 0 to 65535 (got "abc")',
      'log.level (env LOG_LEVEL): must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    ]);
  });

  it.each(['80abc', '-1', '65536', '1e3', '8080.5'])('rejects PORT=%s', (port) => {
    expect(problemsFor({ PORT: port })).toEqual([expect.stringMatching(/^server\.port \(env PORT\): must be a port number from 0 to 65535/)]);
  });

  it('reads only the variables it documents', () => {
    const config = parseConfig(text, { KAFKA_CLIENT_ID: 'x', SERVER_PORT: '1', HOST: '127.0.0.1' });
    expect(config.kafka.clientId).toBe('kafka-http-bridge');
    expect(config.server).toEqual({ port: 9000, host: '0.0.0.0' });
  });
});
