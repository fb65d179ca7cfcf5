/**
 * What the sink does during one flap of the chaos run. Per-request decisions come from a
 * hash of the seed, the flap number and the request (idempotency key, attempt), so they do not
 * depend on the order in which concurrent requests arrive.
 *
 * A slow answer is a 504 sent after the endpoint timeout: the bridge has given up on it by
 * then, and it is never a success the bridge did not see.
 */
import type { Behaviour } from '../faults/support/workload.ts';
import { hashUnit } from './prng.ts';

export type FlapKind = '5xx-burst' | 'slow' | 'outage' | 'permanent-400';

export const FLAP_KINDS: readonly FlapKind[] = ['5xx-burst', 'slow', 'outage', 'permanent-400'];

export interface FlapPlan {
  readonly kind: FlapKind;
  readonly durationMs: number;
}

/** Share of requests failed during a burst or answered slowly during a slow flap. */
export const BURST_SHARE = 0.5;
export const SLOW_SHARE = 0.5;
/** Share of records refused for good (400) during a permanent-400 flap. */
export const POISON_SHARE = 0.05;

/** Counts of what the sink answered (workload requests only). */
export class AnswerCounts {
  ok = 0;
  http503 = 0;
  slow504 = 0;
  http400 = 0;
}

export function healthy(counts: AnswerCounts): Behaviour {
  return () => {
    counts.ok++;
    return { status: 200 };
  };
}

export function flapBehaviour(kind: FlapKind, seed: number, flap: number, slowMs: number, counts: AnswerCounts): Behaviour {
  return (req) => {
    const id = String(req.headers['idempotency-key']);
    const attempt = String(req.headers['kafka-delivery-attempt']);
    switch (kind) {
      case '5xx-burst':
        if (hashUnit(seed, 'burst', flap, id, attempt) < BURST_SHARE) {
          counts.http503++;
          return { status: 503 };
        }
        break;
      case 'slow':
        if (hashUnit(seed, 'slow', flap, id, attempt) < SLOW_SHARE) {
          counts.slow504++;
          return { status: 504, delayMs: slowMs };
        }
        break;
      case 'outage':
        counts.http503++;
        return { status: 503 };
      case 'permanent-400':
        // Per record, not per attempt: every attempt of a refused record is refused.
        if (hashUnit(seed, 'poison', flap, id) < POISON_SHARE) {
          counts.http400++;
          return { status: 400 };
        }
        break;
    }
    counts.ok++;
    return { status: 200 };
  };
}
