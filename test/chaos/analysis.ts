/**
 * Checks and figures of the chaos run that the fault suite's checkInvariants does not cover,
 * or covers too slowly for a ten-minute run:
 *
 * - C over thousands of commit samples (the suite's check walks every offset below every
 *   sample: samples × offsets; here it is one pass per partition and O(1) per sample);
 * - records stranded in a retry topic (neither delivered nor dead-lettered after the heal);
 * - rebalances counted as distinct group generations, from the bridges' own log lines;
 * - where the duplicates came from: the chaos event that preceded each one.
 */
import type { Attempt, CommitSample, CopyRecord, Produced } from '../faults/support/workload.ts';

/** The sink notes its answer just before sending it (same slack as the fault suite). */
const SAME_INSTANT_MS = 20;

export interface CommitCheck {
  /** Samples that showed a committed offset past an unfinished record. */
  readonly violatingSamples: number;
  /** The first few, described. */
  readonly examples: string[];
}

/**
 * C: no sampled committed offset ever passed a record that had not finished (2xx answered, or
 * a retry/DLT copy written) by the time of the sample.
 */
export function checkCommits(
  topic: string,
  delivered: readonly Attempt[],
  copies: readonly CopyRecord[],
  samples: readonly CommitSample[],
): CommitCheck {
  const highest = new Map<number, number>();
  for (const s of samples) highest.set(s.partition, Math.max(highest.get(s.partition) ?? 0, s.offset));
  const finished = new Map<number, Float64Array>();
  for (const [p, max] of highest) finished.set(p, new Float64Array(max).fill(Infinity));
  const note = (p: number, o: number, at: number) => {
    const arr = finished.get(p);
    if (arr !== undefined && o >= 0 && o < arr.length && at < arr[o]!) arr[o] = at;
  };
  const prefix = `${topic}-`;
  for (const a of delivered) {
    if (!a.idempotencyKey.startsWith(prefix)) continue;
    const [p, o] = a.idempotencyKey.slice(prefix.length).split('-').map(Number);
    if (p !== undefined && o !== undefined) note(p, o, a.answeredAt);
  }
  for (const c of copies) note(c.originalPartition, c.originalOffset, c.writtenAt);

  // latest[o] = the latest finish time among offsets 0..o-1, and which offset it was.
  const latest = new Map<number, { at: Float64Array; which: Int32Array }>();
  for (const [p, arr] of finished) {
    const at = new Float64Array(arr.length + 1);
    const which = new Int32Array(arr.length + 1).fill(-1);
    at[0] = -Infinity;
    for (let o = 0; o < arr.length; o++) {
      const prev = at[o]!;
      if (arr[o]! > prev) {
        at[o + 1] = arr[o]!;
        which[o + 1] = o;
      } else {
        at[o + 1] = prev;
        which[o + 1] = which[o]!;
      }
    }
    latest.set(p, { at, which });
  }

  let violatingSamples = 0;
  const examples: string[] = [];
  for (const s of samples) {
    const l = latest.get(s.partition)!;
    const lastFinish = l.at[s.offset]!;
    if (lastFinish <= s.at + SAME_INSTANT_MS) continue;
    violatingSamples++;
    if (examples.length >= 20) continue;
    const o = l.which[s.offset]!;
    examples.push(
      lastFinish === Infinity
        ? `partition ${s.partition} committed ${s.offset} (sampled at ${iso(s.at)}) past offset ${o}, which never finished`
        : `partition ${s.partition} committed ${s.offset} (sampled at ${iso(s.at)}) before offset ${o} finished (at ${iso(lastFinish)})`,
    );
  }
  return { violatingSamples, examples };
}

/** Produced records that were neither delivered (2xx) nor copied to the dead-letter topic. */
export function strandedInRetry(produced: readonly Produced[], delivered: readonly Attempt[], copies: readonly CopyRecord[], dltTopic: string): string[] {
  const done = new Set(delivered.map((a) => `${a.key}#${a.seq}`));
  const dlt = new Set(copies.filter((c) => c.topic === dltTopic).map((c) => c.value));
  return produced.filter((p) => !done.has(`${p.key}#${p.seq}`) && !dlt.has(JSON.stringify({ key: p.key, seq: p.seq }))).map((p) => `${p.key}#${p.seq}`);
}

export interface LogLine {
  readonly [field: string]: unknown;
}

/**
 * Rebalances of the main consumer group: every member logs "partitions assigned" once per
 * generation, and the members of one generation get their assignment within moments of each
 * other. Lines less than `gapMs` apart
 * are one generation; the first generation is not a rebalance.
 */
export function countRebalances(logsPerProcess: readonly (readonly LogLine[])[], gapMs = 2000): { rebalances: number; joins: number; generations: number[] } {
  const times = logsPerProcess
    .flatMap((logs) => logs.filter((l) => l['msg'] === 'partitions assigned' && l['consumer'] === 'main'))
    .map((l) => Date.parse(String(l['time'])))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
  const generations: number[] = [];
  for (const t of times) if (generations.length === 0 || t - generations[generations.length - 1]! >= gapMs) generations.push(t);
  return { rebalances: Math.max(0, generations.length - 1), joins: times.length, generations };
}

export interface ChaosEvent {
  readonly at: number;
  readonly kind: 'kill-9' | 'sigterm' | 'start' | 'unexpected-exit' | 'flap' | 'heal' | 'rebalance';
  readonly detail: string;
}

export interface DuplicateBurst {
  readonly count: number;
  readonly partitions: number[];
  /** When the records were first accepted (2xx), and when again. */
  readonly firstFrom: number;
  readonly firstTo: number;
  readonly againFrom: number;
  readonly againTo: number;
  /** Membership events between the first deliveries and the repeats, in order. */
  readonly events: ChaosEvent[];
}

export interface DuplicateOrigin {
  /** Duplicate 2xx deliveries by the most drastic membership event between the two deliveries. */
  readonly byPrecedingEvent: Record<string, number>;
  /** Duplicates whose repeated delivery was a first attempt (fetched again from Kafka). */
  readonly refetched: number;
  /** Duplicates whose repeated delivery was a later attempt (in process or from the retry topic). */
  readonly retried: number;
  /** Median time from the first 2xx to the duplicate, ms. */
  readonly medianGapMs: number;
  /** Duplicates grouped by when they were delivered again (a pause of 3 s starts a new burst), largest first. */
  readonly bursts: DuplicateBurst[];
}

const MEMBERSHIP: ChaosEvent['kind'][] = ['kill-9', 'sigterm', 'unexpected-exit', 'start', 'rebalance'];

/**
 * For every extra 2xx (the second and later for one idempotency key): which membership events
 * happened between the first delivery and this one. The most drastic one is taken as the
 * cause: a kill -9, else a SIGTERM, else a bridge that exited by itself, else an instance
 * starting, else a rebalance of the group, else none.
 */
export function duplicateOrigins(delivered: readonly Attempt[], events: readonly ChaosEvent[]): DuplicateOrigin {
  const membership = events.filter((e) => MEMBERSHIP.includes(e.kind)).sort((a, b) => a.at - b.at);
  const between = (from: number, to: number) => membership.filter((e) => e.at >= from - 1000 && e.at <= to);
  const first = new Map<string, Attempt>();
  const byPrecedingEvent: Record<string, number> = {};
  let refetched = 0;
  let retried = 0;
  const pairs: { first: Attempt; again: Attempt }[] = [];
  for (const a of [...delivered].sort((x, y) => x.at - y.at)) {
    const earlier = first.get(a.idempotencyKey);
    if (earlier === undefined) {
      first.set(a.idempotencyKey, a);
      continue;
    }
    pairs.push({ first: earlier, again: a });
    if (a.attempt === 1) refetched++;
    else retried++;
    const kinds = new Set(between(earlier.at, a.at).map((e) => e.kind));
    const cause = MEMBERSHIP.find((k) => kinds.has(k)) ?? 'none';
    byPrecedingEvent[cause] = (byPrecedingEvent[cause] ?? 0) + 1;
  }
  const gaps = pairs.map((p) => p.again.at - p.first.at).sort((x, y) => x - y);

  const groups: { first: Attempt; again: Attempt }[][] = [];
  for (const p of pairs) {
    const last = groups[groups.length - 1];
    if (last !== undefined && p.again.at - last[last.length - 1]!.again.at < 3000) last.push(p);
    else groups.push([p]);
  }
  const bursts = groups
    .map((g): DuplicateBurst => {
      const firstFrom = Math.min(...g.map((p) => p.first.at));
      const againTo = Math.max(...g.map((p) => p.again.at));
      return {
        count: g.length,
        partitions: [...new Set(g.map((p) => Number(p.again.idempotencyKey.split('-').at(-2))))].sort(),
        firstFrom,
        firstTo: Math.max(...g.map((p) => p.first.at)),
        againFrom: Math.min(...g.map((p) => p.again.at)),
        againTo,
        events: between(firstFrom, againTo),
      };
    })
    .sort((a, b) => b.count - a.count);
  return { byPrecedingEvent, refetched, retried, medianGapMs: gaps.length === 0 ? 0 : gaps[Math.floor(gaps.length / 2)]!, bursts };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export interface CommitStall {
  readonly partition: number;
  readonly ms: number;
  readonly from: number;
  readonly to: number;
}

/**
 * The longest time each partition's sampled committed offset stood still. The workload never
 * stops during the chaos phase, so a stall is time in which nobody finished (or could commit)
 * the partition's records: a rebalance, a paused route, an owner that died.
 */
export function longestCommitStalls(samples: readonly CommitSample[], until: number): CommitStall[] {
  const out: CommitStall[] = [];
  for (const p of [...new Set(samples.map((s) => s.partition))].sort()) {
    const xs = samples.filter((s) => s.partition === p && s.at <= until);
    if (xs.length === 0) continue;
    let since = xs[0]!.at;
    let offset = xs[0]!.offset;
    let best: CommitStall = { partition: p, ms: 0, from: since, to: since };
    for (const s of xs) {
      if (s.offset !== offset) {
        if (s.at - since > best.ms) best = { partition: p, ms: s.at - since, from: since, to: s.at };
        since = s.at;
        offset = s.offset;
      }
    }
    out.push(best);
  }
  return out.sort((a, b) => b.ms - a.ms);
}

export interface Lingering {
  /** Bridges that logged "lifecycle: … -> failed" and later exited by themselves. */
  readonly failed: number;
  /** Longest time from the failed state to the exit, and which bridge. */
  readonly longestMs: number;
  readonly longestBridge: number | undefined;
  /** How many were given partitions by a rebalance after they had failed. */
  readonly assignedAfterFailing: number;
}

/** How long bridges that failed stayed in their consumer groups before they exited. */
export function lingering(processes: readonly { n: number; logs: readonly LogLine[]; exitAt: number | undefined }[]): Lingering {
  let failed = 0;
  let longestMs = 0;
  let longestBridge: number | undefined;
  let assignedAfterFailing = 0;
  for (const p of processes) {
    const at = p.logs.find((l) => String(l['msg']).startsWith('lifecycle:') && l['state'] === 'failed');
    if (at === undefined || p.exitAt === undefined) continue;
    failed++;
    const since = Date.parse(String(at['time']));
    if (p.exitAt - since > longestMs) {
      longestMs = p.exitAt - since;
      longestBridge = p.n;
    }
    const later = p.logs.filter((l) => l['msg'] === 'partitions assigned' && Date.parse(String(l['time'])) >= since);
    if (later.some((l) => Object.values((l['assignment'] ?? {}) as Record<string, unknown[]>).some((parts) => parts.length > 0))) assignedAfterFailing++;
  }
  return { failed, longestMs, longestBridge, assignedAfterFailing };
}
