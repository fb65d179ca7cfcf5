/**
 * Formats of `routes[].filter`: regular expressions (compiled here, so that a broken one is a
 * configuration error naming its key, never a crash at the first record) and JSON Pointers
 * (RFC 6901) mapped to the value they must equal.
 */
import { FORMAT, missing, problem, type FormatSpec } from './format-kit.ts';
import { isPlainObject, keySuffix, kindOf, show, type Issue } from './problems.ts';

/** Why `pattern` is not a regular expression the filter can use, or undefined. */
export function regexProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return `must be a regular expression as a string (got ${kindOf(pattern)})`;
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    return `is not a valid regular expression: ${error instanceof Error ? error.message : String(error)} (got ${show(pattern)})`;
  }
}

/** Why `pointer` is not a JSON Pointer, or undefined. */
export function jsonPointerProblem(pointer: string): string | undefined {
  if (pointer !== '' && !pointer.startsWith('/')) return 'is not a JSON Pointer: it must be "" or start with "/" (e.g. "/status")';
  if (/~(?![01])/.test(pointer)) return 'is not a JSON Pointer: "~" must be followed by 0 or 1 ("~0" is "~", "~1" is "/")';
  return undefined;
}

export const FILTER_FORMATS = {
  [FORMAT.regex]: {
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      const why = regexProblem(value);
      return why === undefined ? [] : problem(why);
    },
  },

  [FORMAT.headerPatterns]: {
    acceptsMapping: true,
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      if (!isPlainObject(value)) return problem(`must be a mapping of header name to regular expression (got ${kindOf(value)})`);
      const issues: Issue[] = [];
      for (const [name, pattern] of Object.entries(value)) {
        if (name.length === 0) issues.push({ at: keySuffix(name), reason: 'must be a header name' });
        const why = regexProblem(pattern);
        if (why !== undefined) issues.push({ at: keySuffix(name), reason: why });
      }
      return issues;
    },
  },

  [FORMAT.valueMatches]: {
    acceptsMapping: true,
    check(value, _params, required) {
      if (value === null || value === undefined) return missing(required);
      if (!isPlainObject(value)) return problem(`must be a mapping of JSON Pointer to the value it must equal (got ${kindOf(value)})`);
      const issues: Issue[] = [];
      for (const pointer of Object.keys(value)) {
        const why = jsonPointerProblem(pointer);
        if (why !== undefined) issues.push({ at: keySuffix(pointer), reason: `${why} (got ${show(pointer)})` });
      }
      return issues;
    },
  },
} satisfies Partial<Record<string, FormatSpec>>;
