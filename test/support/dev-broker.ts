/**
 * Tests use the same DevBroker as the demo, benchmarks and `npm run dev-broker`;
 * this re-export only gives tests a stable import path under test/support.
 */
export { ApiKey, DevBroker, type DevBrokerOptions } from '../../tools/dev-broker/dev-broker-process.ts';
