import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { deadLetterTopicName, retryTopicNames } from '../../src/config/topic-names.ts';
import { parseOutcomes } from '../../demo/bridge-status.ts';
import { CURRENCIES, failingAttempts } from '../../demo/downstream.ts';
import { sampleOrder } from '../../demo/producer.ts';

describe('the demo', () => {
  it('config/demo.yaml passes the bridge validation and names the topics the demo creates', () => {
    const config = loadConfig(resolve(import.meta.dirname, '../../config/demo.yaml'), {});
    const route = config.routes[0]!;
    expect(route.topics).toEqual(['orders']);
    expect(retryTopicNames('orders', route)).toEqual(['orders-retry-1', 'orders-retry-2']);
    expect(deadLetterTopicName('orders', route)).toBe('orders-dlt');
    expect(config.log.level).toBe('warn');
    // Short enough to show the whole ladder within a minute.
    expect(route.retry.delays.every((d) => d <= 15_000)).toBe(true);
    // A second route on the same topic shows fan-out, a filter and CloudEvents.
    const audit = config.routes[1]!;
    expect(audit.topics).toEqual(['orders']);
    expect(audit.payload).toBe('cloudevents-structured');
    expect(audit.filter.value).toEqual({ '/currency': 'EUR' });
    expect(deadLetterTopicName('orders', audit)).toBe('orders-audit-dlt');
  });

  it('takes KAFKA_BROKERS and PORT from the environment, as the demo sets them', () => {
    const config = loadConfig(resolve(import.meta.dirname, '../../config/demo.yaml'), { KAFKA_BROKERS: '127.0.0.1:39092', PORT: '0' });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:39092']);
    expect(config.server.port).toBe(0);
  });

  it('fails some orders for good and some for a while, early enough for a short run', () => {
    const orders = Array.from({ length: 100 }, (_, i) => sampleOrder(i));
    const invalid = orders.filter((o) => !CURRENCIES.has(o.currency));
    expect(invalid.map((o) => o.seq)).toEqual([7, 32, 57, 82]);
    const flaky = orders.filter((o) => failingAttempts(o.seq) > 0);
    expect(flaky).toHaveLength(10);
    expect(failingAttempts(3)).toBe(2);
    expect(failingAttempts(13)).toBe(4);
    expect(new Set(orders.map((o) => o.customerId)).size).toBe(20);
    expect(orders[5]!.total).toBe(orders[5]!.items.reduce((s, i) => s + i.quantity * i.unitPrice, 0));
  });

  it('reads outcomes from the Prometheus text, summed over routes', () => {
    const text = [
      '# TYPE kafka_http_bridge_deliveries_total counter',
      'kafka_http_bridge_deliveries_total{route="a",outcome="delivered"} 5',
      'kafka_http_bridge_deliveries_total{route="b",outcome="delivered"} 2',
      'kafka_http_bridge_deliveries_total{route="a",outcome="dead_lettered"} 1',
      'kafka_http_bridge_deliveries_total{outcome="retry_scheduled",route="a"} 3',
    ].join('\n');
    expect(parseOutcomes(text)).toEqual({ delivered: 7, retry_scheduled: 3, dead_lettered: 1, discarded: 0, filtered: 0 });
  });
});
