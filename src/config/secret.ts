/**
 * A secret read from env or a file. It prints as "[redacted]" everywhere (logs, JSON,
 * util.inspect, template strings) so that passing the config object to a logger or an
 * HTTP response can never leak it. Only the delivery code calls reveal().
 */
import { inspect } from 'node:util';

export class Secret {
  readonly #value: string;
  /** Where the value came from, for error messages: "env ORDERS_TOKEN" or "file /run/x". */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
    Object.freeze(this);
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

export function revealHeader(value: Secret | string): string {
  return typeof value === 'string' ? value : value.reveal();
}
