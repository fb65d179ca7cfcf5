/**
 * Collecting configuration problems. Every problem is "<key path>: <reason>"; several reasons
 * about the same path are merged into one line. Values are shown through show(), which keeps
 * them short and never prints the content of mappings (a mapping may hold header values).
 */
import { ConfigError } from '../errors.ts';

const MAX_VALUE_CHARS = 80;

/** One problem of a value: `at` is appended to the key path ("", "[2]", ".authorization"), and why. */
export interface Issue {
  readonly at: string;
  readonly reason: string;
}

export class Problems {
  readonly #reasons = new Map<string, string[]>();
  #added = 0;

  add(path: string, reason: string): void {
    this.#added += 1;
    const reasons = this.#reasons.get(path);
    if (reasons === undefined) this.#reasons.set(path, [reason]);
    else if (!reasons.includes(reason)) reasons.push(reason);
  }

  /** How many times add() was called: compare before and after a step to see if it failed. */
  get added(): number {
    return this.#added;
  }

  list(): string[] {
    return [...this.#reasons].map(([path, reasons]) => `${path}: ${reasons.join('; ')}`);
  }

  throwIfAny(): void {
    if (this.#reasons.size > 0) throw new ConfigError(this.list());
  }
}

export function truncate(text: string, max = MAX_VALUE_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A short, safe rendering of an offending value for an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return truncate(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return 'an empty list';
    const scalars = value.every((item) => item === null || ['string', 'number', 'boolean'].includes(typeof item));
    return scalars ? truncate(JSON.stringify(value)) : `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

/** What kind of value this is, without showing it (for values that may be credentials). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** "kafka" + "brokers" -> "kafka.brokers"; odd keys are quoted: routes[0]["a b"]. */
export function joinKey(base: string, key: string): string {
  return base === '' && PLAIN_KEY.test(key) ? key : `${base}${keySuffix(key)}`;
}

/** ".brokers", or ["a b"] for a key that is not a plain identifier. */
export function keySuffix(key: string): string {
  return PLAIN_KEY.test(key) ? `.${key}` : `[${truncate(JSON.stringify(key), 60)}]`;
}

/** Joins a dotted schema path ("endpoint.timeout") onto a shown base path ("routes[0]"). */
export function joinDotted(base: string, dotted: string): string {
  return dotted === '' ? base : dotted.split('.').reduce(joinKey, base);
}

export function joinIndex(base: string, index: number): string {
  return `${base}[${index}]`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
