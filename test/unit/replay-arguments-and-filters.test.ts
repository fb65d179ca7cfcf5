import { describe, expect, it } from 'vitest';
import { parseInspectArgs, parseRate, parseReplayArgs, parseTimeArg, UsageError } from '../../src/dlt/dlt-args.ts';
import { RecordFilter, recordTime } from '../../src/dlt/record-filter.ts';
import { keyText, tokenText } from '../../src/dlt/record-text.ts';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');

describe('replay command line', () => {
  it('reads every option', () => {
    const args = parseReplayArgs(
      ['--config', 'c.yaml', '--from', 'orders-dlt', '--to', 'orders', '--reason', 'http-503', '--reason', 'timeout', '--key', 'k1', '--since', '2h', '--until', '2025-06-01T11:30:00Z', '--limit', '10', '--rate', '50/s', '--dry-run'],
      NOW,
    );
    expect(args).toEqual({
      config: 'c.yaml',
      help: false,
      from: 'orders-dlt',
      to: 'orders',
      filter: { reasons: ['http-503', 'timeout'], keys: ['k1'], since: NOW - 2 * 3_600_000, until: Date.parse('2025-06-01T11:30:00Z') },
      limit: 10,
      rate: 50,
      dryRun: true,
    });
  });

  it.each([
    [['--to', 'orders'], '--from <topic> is required'],
    [['--from', 'a b'], '--from: may contain only'],
    [['--from', 'x', '--to', 'x'], '--to must differ from --from'],
    [['--from', 'x', '--limit', '0'], '--limit: must be a whole number'],
    [['--from', 'x', '--limit', '1.5'], '--limit'],
    [['--from', 'x', '--rate', '0/s'], '--rate'],
    [['--from', 'x', '--since', 'yesterday'], '--since: must be an ISO-8601 time'],
    [['--from', 'x', '--since', '1h', '--until', '2h'], '--since must be before --until'],
    [['--from', 'x', '--frm', 'y'], "Unknown option '--frm'"],
    [['--from', 'x', 'extra'], 'unexpected argument "extra"'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseReplayArgs(argv, NOW)).toThrow(UsageError);
    expect(() => parseReplayArgs(argv, NOW)).toThrow(message);
  });

  it('parses rates and times', () => {
    expect(parseRate('600/m')).toBe(10);
    expect(parseRate('7200/h')).toBe(2);
    expect(parseRate('25')).toBe(25);
    expect(parseTimeArg('since', '1h30m', NOW)).toBe(NOW - 90 * 60_000);
    expect(parseTimeArg('since', '2025-05-31', NOW)).toBe(Date.parse('2025-05-31T00:00:00Z'));
  });

  it('inspect needs --topic', () => {
    expect(parseInspectArgs(['--topic', 'orders-dlt', '-c', 'x.yaml'])).toEqual({ config: 'x.yaml', help: false, topic: 'orders-dlt' });
    expect(() => parseInspectArgs([])).toThrow('--topic <topic> is required');
  });
});

describe('record filter', () => {
  const record = (reason: string | undefined, key: string | null, firstFailure: string | undefined, timestamp = '0') => ({
    key: key === null ? null : Buffer.from(key),
    timestamp,
    headers: {
      ...(reason === undefined ? {} : { 'bridge-reason': Buffer.from(reason) }),
      ...(firstFailure === undefined ? {} : { 'bridge-first-failure-at': Buffer.from(firstFailure) }),
    },
  });

  it('passes everything without filters', () => {
    const f = new RecordFilter({ reasons: [], keys: [] });
    expect(f.isEmpty).toBe(true);
    expect(f.matches(record(undefined, null, undefined))).toBe(true);
  });

  it('matches any of several reasons or keys, keys byte for byte', () => {
    const f = new RecordFilter({ reasons: ['http-503', 'timeout'], keys: ['ü-1', 'b'] });
    expect(f.matches(record('timeout', 'ü-1', undefined))).toBe(true);
    expect(f.matches(record('http-400', 'ü-1', undefined))).toBe(false);
    expect(f.matches(record('timeout', 'ü-10', undefined))).toBe(false);
    expect(f.matches(record('timeout', null, undefined))).toBe(false);
    expect(f.matches(record(undefined, 'b', undefined))).toBe(false);
  });

  it('judges time by the first failure, else by the Kafka timestamp; since inclusive, until exclusive', () => {
    const f = new RecordFilter({ reasons: [], keys: [], since: NOW, until: NOW + 1000 });
    expect(f.matches(record(undefined, null, new Date(NOW).toISOString()))).toBe(true);
    expect(f.matches(record(undefined, null, new Date(NOW + 1000).toISOString()))).toBe(false);
    expect(f.matches(record(undefined, null, undefined, String(NOW + 500)))).toBe(true);
    expect(f.matches(record(undefined, null, 'garbage', String(NOW - 1)))).toBe(false);
    expect(recordTime(record(undefined, null, 'garbage', '42'))).toBe(42);
  });
});

describe('record text', () => {
  it('quotes keys, and shows keys that are not text in base64', () => {
    expect(keyText(Buffer.from('customer 7'))).toBe('"customer 7"');
    expect(keyText(null)).toBe('null');
    expect(keyText(Buffer.from([0xff, 0x00]))).toBe('base64:/wA=');
    expect(keyText(Buffer.from('a\nb'))).toBe(`base64:${Buffer.from('a\nb').toString('base64')}`);
    expect(tokenText('http-503')).toBe('http-503');
    expect(tokenText('two words')).toBe('"two words"');
    expect(tokenText(undefined)).toBe('none');
  });
});
