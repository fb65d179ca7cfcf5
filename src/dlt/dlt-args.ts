/**
 * The command lines of `replay` and `inspect`, parsed into plain options. A bad command line
 * is a UsageError (exit 64, with the usage text), found before the configuration is read or
 * Kafka is contacted.
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration.ts';
import { topicNameProblem } from '../config/topic-names.ts';
import type { ReplayRequest } from './replay.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const REPLAY_USAGE = `usage: kafka-http-bridge replay --config <file> --from <topic> [options]

  Copies records of a dead-letter (or retry) topic back to the topic they came from (their
  bridge-original-topic header), keeping key, value and every header, so the endpoint sees
  the original idempotency-key again. Progress is committed in group <groupId>-replay: a rerun
  resumes. Stops once it reached the end offsets seen at start.

  --from <topic>      the dead-letter or retry topic to read (required)
  --to <topic>        copy every record to this topic instead (it must exist)
  --reason <code>     only records with this bridge-reason, e.g. http-503 (repeatable)
  --key <key>         only records with exactly this key, UTF-8 (repeatable)
  --since <time>      only records that first failed at or after <time>
  --until <time>      only records that first failed before <time>
                      <time>: ISO-8601 (2025-06-01T14:00:00Z) or a duration ago (2h, 1d, 30m)
  --limit <n>         replay at most n records, then stop
  --rate <n/s>        produce at most n records per second (also n/m, n/h)
  --dry-run           print what would be replayed; produce and commit nothing
  --config <file>     bridge configuration (brokers, groupId)`;

export const INSPECT_USAGE = `usage: kafka-http-bridge inspect --config <file> --topic <topic>

  Summarises a dead-letter (or retry) topic: the number of records, counts by bridge-reason
  and bridge-route, the oldest and newest records, and how far replay has come. Reads
  without committing anything.

  --topic <topic>     the dead-letter or retry topic to read (required)
  --config <file>     bridge configuration (brokers, groupId)`;

/** The replay request, plus what only the command line has. */
export interface ReplayArgs extends ReplayRequest {
  readonly config: string | undefined;
  readonly help: boolean;
}

export interface InspectArgs {
  readonly config: string | undefined;
  readonly help: boolean;
  readonly topic: string;
}

const COMMON = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const;

/** parseArgs, with its errors (unknown option, missing value) turned into UsageErrors. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function topicArg(name: string, value: string | undefined, required: true): string;
function topicArg(name: string, value: string | undefined, required: false): string | undefined;
function topicArg(name: string, value: string | undefined, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw new UsageError(`--${name} <topic> is required`);
    return undefined;
  }
  const problem = topicNameProblem(value);
  if (problem !== undefined) throw new UsageError(`--${name}: ${problem} (got ${JSON.stringify(value)})`);
  return value;
}

/** An ISO-8601 time, or a duration (the configuration's grammar) before `now`. */
export function parseTimeArg(name: string, text: string, now: number): number {
  const ago = parseDuration(text);
  if (ago.ok) return now - ago.ms;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new UsageError(`--${name}: must be an ISO-8601 time like 2025-06-01T14:00:00Z or a duration ago like 2h (got ${JSON.stringify(text)})`);
  }
  return at;
}

const PER = { s: 1, m: 60, h: 3600 } as const;

/** `50/s`, `600/m`, `50` (per second): records per second. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|m|h))?$/.exec(text.trim());
  const perSecond = m === null ? Number.NaN : Number(m[1]) / PER[(m[2] ?? 's') as keyof typeof PER];
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) {
    throw new UsageError(`--rate: must be a positive rate like 50/s, 600/m or 50 (per second) (got ${JSON.stringify(text)})`);
  }
  return perSecond;
}

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1) {
    throw new UsageError(`--${name}: must be a whole number of at least 1 (got ${JSON.stringify(text)})`);
  }
  return Number(text);
}

function noPositionals(positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
}

export function parseReplayArgs(argv: readonly string[], now = Date.now()): ReplayArgs {
  const { values, positionals } = usage(() =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...COMMON,
        from: { type: 'string' },
        to: { type: 'string' },
        reason: { type: 'string', multiple: true },
        key: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        rate: { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
    }),
  );
  const help = values.help === true;
  if (help) return { config: undefined, help, from: '', to: undefined, filter: { reasons: [], keys: [] }, limit: undefined, rate: undefined, dryRun: false };
  noPositionals(positionals);
  const from = topicArg('from', values.from, true);
  const to = topicArg('to', values.to, false);
  if (to === from) throw new UsageError(`--to must differ from --from: replaying ${from} onto itself would copy every record again`);
  const since = values.since === undefined ? undefined : parseTimeArg('since', values.since, now);
  const until = values.until === undefined ? undefined : parseTimeArg('until', values.until, now);
  if (since !== undefined && until !== undefined && since >= until) throw new UsageError('--since must be before --until');
  const reasons = values.reason ?? [];
  for (const r of reasons) if (r === '') throw new UsageError('--reason: must not be empty');
  return {
    config: values.config,
    help,
    from,
    to,
    filter: {
      reasons,
      keys: values.key ?? [],
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    },
    limit: positiveInteger('limit', values.limit),
    rate: values.rate === undefined ? undefined : parseRate(values.rate),
    dryRun: values['dry-run'] === true,
  };
}

export function parseInspectArgs(argv: readonly string[]): InspectArgs {
  const { values, positionals } = usage(() =>
    parseArgs({ args: [...argv], allowPositionals: true, options: { ...COMMON, topic: { type: 'string' } } }),
  );
  const help = values.help === true;
  if (help) return { config: undefined, help, topic: '' };
  noPositionals(positionals);
  return { config: values.config, help, topic: topicArg('topic', values.topic, true) };
}
