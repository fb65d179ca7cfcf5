/**
 * Durations in the configuration file.
 *
 * Grammar: one or more "<whole number><unit>" parts with no spaces between them, units
 * ms, s, m (minutes), h, d, largest unit first and each unit at most once:
 *   200ms   5s   2m   1h   1d   1m30s   1h30m   2s500ms   0s
 * Rejected: bare numbers (5000: is it ms or s?), fractions (1.5s: write 1500ms or 1s500ms),
 * negative values, other units or spellings (5 seconds, 5S, 1y), units out of order (30s1m).
 * Surrounding whitespace is ignored. The result is a whole number of milliseconds.
 */
import { show } from './problems.ts';

export const DURATION_HINT = 'a duration like 500ms, 5s, 2m or 1h';

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];

export type DurationResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

function fail(reason: string): DurationResult {
  return { ok: false, reason };
}

export function parseDuration(input: unknown): DurationResult {
  const generic = `must be ${DURATION_HINT} (got ${show(input)})`;
  if (typeof input === 'number') {
    return Number.isInteger(input) && input >= 0
      ? fail(`${generic}; a bare number is ambiguous, write ${input}ms or add another unit`)
      : fail(generic);
  }
  if (typeof input !== 'string') return fail(generic);

  const text = input.trim();
  if (/^\d+$/.test(text)) return fail(`${generic}; a bare number is ambiguous, write ${text}ms or add another unit`);
  if (/^-/.test(text) && parseDuration(text.slice(1)).ok) return fail(`must not be negative (got ${show(input)})`);

  const fraction = /^(\d*\.\d+)(ms|s|m|h|d)$/.exec(text);
  if (fraction !== null) {
    const ms = Number(fraction[1]) * UNIT_MS[fraction[2] as Unit];
    const exact = Math.round(ms);
    const suggestion = Math.abs(ms - exact) < 1e-6 ? `write ${formatDuration(exact)}` : 'use whole milliseconds';
    return fail(`must use whole numbers (got ${show(input)}); ${suggestion}`);
  }

  const part = /(\d+)(ms|d|h|m|s)/y;
  let total = 0;
  let lastUnit = -1;
  let position = 0;
  while (position < text.length) {
    part.lastIndex = position;
    const match = part.exec(text);
    if (match === null) return fail(generic);
    const unit = match[2] as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastUnit) {
      return fail(`${generic}; put the largest unit first and use each unit once, e.g. 1m30s`);
    }
    lastUnit = rank;
    total += Number(match[1]) * UNIT_MS[unit];
    position = part.lastIndex;
  }
  if (text.length === 0) return fail(generic);
  if (!Number.isSafeInteger(total)) return fail(`is far too large (got ${show(input)})`);
  return { ok: true, ms: total };
}

/** For schema bounds and tests: the milliseconds of a duration literal written by us. */
export function durationMs(text: string): number {
  const result = parseDuration(text);
  if (!result.ok) throw new Error(`invalid duration literal ${JSON.stringify(text)}: ${result.reason}`);
  return result.ms;
}

/** 90000 -> "1m30s", 1500 -> "1s500ms", 0 -> "0ms": the same grammar parseDuration reads. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return `${Number(ms.toFixed(3))}ms`;
  let rest = ms;
  let text = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text === '' ? '0ms' : text;
}
