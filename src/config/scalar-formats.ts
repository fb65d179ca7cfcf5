/** Formats of single values: durations, numbers, strings, one-of choices, booleans, URLs. */
import { FORMAT, durationIssues, humanBytes, inRange, listIssues, missing, problem, type FormatSpec } from './format-kit.ts';
import { joinIndex, show } from './problems.ts';

export const SCALAR_FORMATS = {
  [FORMAT.duration]: {
    check: (value, params, required) => (value === null || value === undefined ? missing(required) : durationIssues(value, params)),
  },

  [FORMAT.durationList]: {
    check: (value, params, required) =>
      listIssues(value, params, required, {
        what: 'a list of durations like [1m, 10m, 1h]',
        item: (item, index) => durationIssues(item, params, joinIndex('', index)),
      }),
  },

  [FORMAT.integer]: {
    check(value, params, required) {
      if (value === null || value === undefined) return missing(required);
      if (typeof value === 'number' && Number.isInteger(value) && inRange(value, params)) return [];
      const max = params.max === undefined ? '' : ` to ${params.max}`;
      const unit = params.unit === undefined ? '' : ` ${params.unit}`;
      const human = params.unit === 'bytes' && params.max !== undefined ? ` (${humanBytes(params.max)})` : '';
      return problem(`must be an integer from ${params.min ?? 0}${max}${unit}${human} (got ${show(value)})`);
    },
  },

  [FORMAT.port]: {
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535
        ? []
        : problem(`must be a port number from 0 to 65535 (got ${show(value)})`);
    },
    coerce: (text) => (/^\s*\d{1,5}\s*$/.test(text) ? Number(text) : text),
  },

  [FORMAT.string]: {
    check(value, params, required) {
      if (value === null || value === undefined) return missing(required);
      if (typeof value !== 'string') return problem(`must be a string (got ${show(value)})`);
      if (value.length === 0) return problem('must not be empty');
      if (params.maxLength !== undefined && value.length > params.maxLength) {
        return problem(`must be at most ${params.maxLength} characters (got ${show(value)})`);
      }
      if (params.pattern !== undefined && !params.pattern.test(value)) {
        return problem(`must ${params.patternHint ?? `match ${String(params.pattern)}`} (got ${show(value)})`);
      }
      return [];
    },
  },

  [FORMAT.oneOf]: {
    check(value, params, required) {
      if (value === null || value === undefined) return missing(required);
      const values = params.values ?? [];
      return typeof value === 'string' && values.includes(value)
        ? []
        : problem(`must be one of ${values.join(', ')} (got ${show(value)})`);
    },
  },

  [FORMAT.boolean]: {
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      return typeof value === 'boolean' ? [] : problem(`must be true or false (got ${show(value)})`);
    },
  },
} satisfies Partial<Record<string, FormatSpec>>;
