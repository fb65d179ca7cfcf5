/**
 * Maps the configuration's `kafka.tls` and `kafka.sasl` to kafkajs's `ssl` and `sasl`
 * options. Pure, so the mapping is tested without a broker (the dev broker speaks neither
 * TLS nor SASL). Certificate verification is always on: `rejectUnauthorized: true` is
 * written out rather than left to Node's default, and nothing can turn it off.
 *
 * kafkajs hands `ssl` to tls.connect after its own `servername: <broker host>`, so a
 * configured servername wins; without one, each broker is verified under its own name.
 */
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig as KafkaJsConfig } from 'kafkajs';
import { revealHeader } from '../config/secret.ts';
import type { KafkaConfig } from '../config/types.ts';

export type KafkaSecurityOptions = Pick<KafkaJsConfig, 'ssl' | 'sasl'>;

export function kafkaSecurityOptions(config: Pick<KafkaConfig, 'tls' | 'sasl'>): KafkaSecurityOptions {
  const options: KafkaSecurityOptions = {};
  const { tls, sasl } = config;
  if (tls !== undefined) {
    const ssl: ConnectionOptions = { rejectUnauthorized: true };
    if (tls.ca !== undefined) ssl.ca = tls.ca;
    if (tls.cert !== undefined) ssl.cert = tls.cert;
    if (tls.key !== undefined) ssl.key = tls.key.reveal();
    if (tls.servername !== undefined) ssl.servername = tls.servername;
    options.ssl = ssl;
  }
  if (sasl !== undefined) {
    const credentials = { username: revealHeader(sasl.username), password: sasl.password.reveal() };
    // One branch per mechanism: kafkajs types each mechanism's options separately.
    switch (sasl.mechanism) {
      case 'plain':
        options.sasl = { mechanism: 'plain', ...credentials };
        break;
      case 'scram-sha-256':
        options.sasl = { mechanism: 'scram-sha-256', ...credentials };
        break;
      case 'scram-sha-512':
        options.sasl = { mechanism: 'scram-sha-512', ...credentials };
        break;
    }
  }
  return options;
}
