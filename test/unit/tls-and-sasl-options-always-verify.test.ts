/**
 * The pure mappings from the configuration to the TLS options of kafkajs (`ssl`, `sasl`) and
 * of the endpoint pools: verification is on in every case, and secrets are revealed only into
 * these options. The dev broker has no TLS or SASL, so this is where kafka.tls / kafka.sasl
 * are checked.
 */
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.ts';
import type { KafkaConfig, TlsFiles } from '../../src/config/types.ts';
import { tlsOptions } from '../../src/delivery/tls-connect.ts';
import { kafkaSecurityOptions } from '../../src/kafka/kafka-security.ts';

const none: TlsFiles = { ca: undefined, cert: undefined, key: undefined, servername: undefined };
const full: TlsFiles = { ca: 'CA PEM', cert: 'CERT PEM', key: new Secret('KEY PEM', 'file /k'), servername: 'kafka.internal' };

function kafka(over: Partial<Pick<KafkaConfig, 'tls' | 'sasl'>>): Pick<KafkaConfig, 'tls' | 'sasl'> {
  return { tls: undefined, sasl: undefined, ...over };
}

describe('kafkaSecurityOptions', () => {
  it('plaintext without SASL: neither ssl nor sasl', () => {
    expect(kafkaSecurityOptions(kafka({}))).toEqual({});
  });

  it('TLS with the system CAs still says rejectUnauthorized: true', () => {
    expect(kafkaSecurityOptions(kafka({ tls: none }))).toEqual({ ssl: { rejectUnauthorized: true } });
  });

  it('passes CA, client certificate, revealed key and servername', () => {
    expect(kafkaSecurityOptions(kafka({ tls: full }))).toEqual({
      ssl: { rejectUnauthorized: true, ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', servername: 'kafka.internal' },
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('maps SASL %s with revealed credentials', (mechanism) => {
    const options = kafkaSecurityOptions(kafka({ sasl: { mechanism, username: new Secret('bridge', 'env U'), password: new Secret('pw', 'env P') } }));
    expect(options).toEqual({ sasl: { mechanism, username: 'bridge', password: 'pw' } });
  });

  it('keeps a plain-string username as it is, next to TLS', () => {
    const options = kafkaSecurityOptions(kafka({ tls: none, sasl: { mechanism: 'plain', username: 'bridge', password: new Secret('pw', 'env P') } }));
    expect(options.ssl).toEqual({ rejectUnauthorized: true });
    expect(options.sasl).toEqual({ mechanism: 'plain', username: 'bridge', password: 'pw' });
  });
});

describe('tlsOptions (endpoint pools)', () => {
  it('verifies with the system CAs when nothing is configured', () => {
    expect(tlsOptions(none)).toEqual({ rejectUnauthorized: true });
  });

  it('passes CA, client certificate, revealed key and servername', () => {
    expect(tlsOptions(full)).toEqual({ rejectUnauthorized: true, ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM', servername: 'kafka.internal' });
  });
});
