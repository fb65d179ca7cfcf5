/**
 * Test processes build kafkajs clients of their own (admin, producers) outside
 * createKafka(), so they install the bridge's filter for kafkajs's harmless
 * TimeoutNegativeWarning here; without it, every test file that touches Kafka prints it.
 */
import { quietKnownWarnings } from '../../src/kafka/kafka-client.ts';

quietKnownWarnings();
