/**
 * Which consumer group reads which route: the default group for routes whose topics feed no
 * other route (so an upgrade keeps its offsets), a group of its own per route of a fanned-out
 * topic, groupId when set; and the configuration errors that fan-out can cause.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load-config.ts';
import { consumerGroups } from '../../src/kafka/consumer-groups.ts';
import { problemsOf } from '../support/config-problems.ts';

function config(routes: Record<string, unknown>[]) {
  return stringify({
    kafka: { brokers: ['127.0.0.1:9092'], groupId: 'bridge' },
    routes: routes.map((r) => ({ endpoint: { url: 'http://127.0.0.1:3000/' }, ...r })),
  });
}

const groups = (routes: Record<string, unknown>[]) =>
  consumerGroups(parseConfig(config(routes), {})).map((g) => ({ groupId: g.groupId, retry: g.retryGroupId, name: g.name, routes: g.routes.map((r) => r.name) }));

describe('consumer groups', () => {
  it('routes whose topics feed no other route share kafka.groupId, exactly as before fan-out', () => {
    expect(groups([{ name: 'a', topics: ['orders'] }, { name: 'b', topics: ['refunds'] }])).toEqual([
      { groupId: 'bridge', retry: 'bridge-retry', name: 'main', routes: ['a', 'b'] },
    ]);
  });

  it('each route of a fanned-out topic reads it in <groupId>-<route name>', () => {
    const routes = [
      { name: 'billing', topics: ['orders'], retry: { topicSuffix: '-billing-retry' }, deadLetter: { topicSuffix: '-billing-dlt' } },
      { name: 'audit', topics: ['orders', 'refunds'] },
      { name: 'other', topics: ['payments'] },
    ];
    expect(groups(routes)).toEqual([
      { groupId: 'bridge-billing', retry: 'bridge-billing-retry', name: 'bridge-billing', routes: ['billing'] },
      { groupId: 'bridge-audit', retry: 'bridge-audit-retry', name: 'bridge-audit', routes: ['audit'] },
      { groupId: 'bridge', retry: 'bridge-retry', name: 'main', routes: ['other'] },
    ]);
  });

  it('routes[].groupId wins', () => {
    expect(groups([{ name: 'a', topics: ['orders'], groupId: 'legacy' }])).toEqual([{ groupId: 'legacy', retry: 'legacy-retry', name: 'legacy', routes: ['a'] }]);
  });
});

describe('fan-out configuration errors', () => {
  it('two routes of one topic with the same suffixes would share retry and dead-letter topics', () => {
    const problems = problemsOf(config([{ name: 'a', topics: ['orders'] }, { name: 'b', topics: ['orders'] }]));
    expect(problems).toEqual([expect.stringMatching(/^routes\[1\]\.topics\[0\]: "orders" also feeds routes\[0\].* "orders-retry", "orders-dlt" would be shared: give routes\[1\] its own retry\.topicSuffix/)]);
  });

  it('two routes of one topic in the same explicit group', () => {
    const problems = problemsOf(
      config([
        { name: 'a', topics: ['orders'], groupId: 'g' },
        { name: 'b', topics: ['orders'], groupId: 'g', retry: { topicSuffix: '-b-retry' }, deadLetter: { topicSuffix: '-b-dlt' } },
      ]),
    );
    expect(problems).toEqual([expect.stringMatching(/^routes\[1\]\.groupId: routes\[0\] reads "orders" in the same consumer group "g"/)]);
  });
});
