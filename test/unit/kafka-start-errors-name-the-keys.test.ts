import { describe, expect, it } from 'vitest';
import { kafkaStartError } from '../../src/kafka/kafka-errors.ts';
import { Secret } from '../../src/config/secret.ts';

const plain = { brokers: ['k1:9093', 'k2:9093'], tls: undefined, sasl: undefined };
const retried = (inner: object) => ({ name: 'KafkaJSNumberOfRetriesExceeded', message: 'x', originalError: inner });

describe('errors of the first contact with Kafka', () => {
  it('a refused SASL login is KAFKA_AUTH_FAILED and names the mechanism, never the password', () => {
    const config = { ...plain, sasl: { mechanism: 'scram-sha-512' as const, username: 'u', password: new Secret('pw-123', 'env P') } };
    const error = kafkaStartError(retried({ name: 'KafkaJSSASLAuthenticationError', message: 'SASL SCRAM SHA512 authentication failed: invalid credentials' }), config);
    expect(error?.code).toBe('KAFKA_AUTH_FAILED');
    expect(error?.message).toBe('Kafka (k1:9093,k2:9093) refused the credentials of kafka.sasl (scram-sha-512): SASL SCRAM SHA512 authentication failed: invalid credentials');
    expect(error?.message).not.toContain('pw-123');
  });

  it('a connection or TLS failure is KAFKA_UNREACHABLE and points at the TLS keys when TLS is on', () => {
    const tls = { ...plain, tls: { ca: 'pem' } as never };
    const inner = { name: 'KafkaJSConnectionError', message: 'Connection error: unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca' };
    const error = kafkaStartError({ name: 'KafkaJSNonRetriableError', message: 'x', cause: retried(inner) }, tls);
    expect(error?.code).toBe('KAFKA_UNREACHABLE');
    expect(error?.message).toBe('could not connect to Kafka (k1:9093,k2:9093): Connection error: unable to verify the first certificate; check kafka.brokers, kafka.tls.ca and kafka.tls.servername');
    expect(kafkaStartError(inner, plain)?.message).toMatch(/; check kafka\.brokers and the network$/);
  });

  it('anything else is left as it is', () => {
    expect(kafkaStartError(new Error('boom'), plain)).toBeUndefined();
    expect(kafkaStartError({ name: 'KafkaJSSASLAuthenticationError', message: 'm' }, plain)).toBeUndefined();
  });
});
