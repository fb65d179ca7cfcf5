/**
 * Validates one mapping (the file without its routes, or one route) against a convict schema
 * and reports every problem with its full path.
 *
 * convict is used for what it does well (defaults, environment overrides, string coercion,
 * calling the formats, strict mode), around three of its gaps:
 *  - keys: it cannot name an unknown key inside an array item, and `load()` crashes on a
 *    mapping nested under a scalar key. So a walk over the schema first reports unknown keys
 *    and wrong shapes, and only the leaf values that fit are handed over, one `set()` each.
 *  - errors: `validate()` throws one string. The formats also record structured issues
 *    (formats.ts), which are what we report.
 *  - env: `set()` after construction would override the environment, so `load({})` applies
 *    the environment again on top.
 */
import convict from 'convict';
import { captureFormatIssues, checkFormat, formatAcceptsMapping } from './formats.ts';
import { unknownKeyReason } from './key-suggestions.ts';
import { isPlainObject, joinDotted, joinKey, show, type Problems } from './problems.ts';

export interface SectionOptions {
  /** Path shown before every key: "" at the top level, "routes[2]" for a route. */
  readonly prefix: string;
  readonly problems: Problems;
  /** Environment for the schema's `env` keys; variables set to "" count as unset. */
  readonly env?: NodeJS.ProcessEnv;
}

type SchemaNode = Record<string, unknown>;

function isLeaf(node: unknown): node is convict.SchemaObj {
  return isPlainObject(node) && 'default' in node;
}

/** Returns the validated values, or undefined when the section has problems (all reported). */
export function validateSection<T>(schema: convict.Schema<T>, input: Record<string, unknown>, options: SectionOptions): T | undefined {
  const { prefix, problems } = options;
  const root = schema as unknown as SchemaNode;

  // Document order: the walk sees the keys as the file has them; problems are reported in
  // that order (problems about values that came from defaults or env go last).
  const walked: Walked[] = [];
  walk(root, input, '', prefix, walked);

  const env = environmentOf(root, options.env ?? {});
  const config = convict(schema, { env: env.values, args: [] }) as unknown as convict.Config<Record<string, unknown>>;
  const rankOf = new Map<string, number>();
  const handled = new Set<string>();
  const found: Array<{ rank: number; path: string; reason: string }> = [];
  walked.forEach((entry, rank) => {
    if (entry.kind === 'leaf') {
      config.set(entry.dotted, entry.value);
      rankOf.set(entry.dotted, rank);
    } else {
      found.push({ rank, path: entry.path, reason: entry.reason });
      if (entry.dotted !== undefined) handled.add(entry.dotted);
    }
  });
  config.load({});

  const { issues, error } = captureFormatIssues(() => {
    config.validate({ allowed: 'strict' });
  });
  for (const failure of issues) {
    const dotted = failure.fullName ?? '';
    if (handled.has(dotted)) continue; // its value was refused by the walk; convict only saw the default
    const variable = env.byPath.get(dotted);
    const rank = variable === undefined ? (rankOf.get(dotted) ?? walked.length) : walked.length;
    const suffix = variable === undefined ? '' : ` (env ${variable})`;
    for (const issue of failure.issues) {
      found.push({ rank, path: `${joinDotted(prefix, dotted)}${issue.at}${suffix}`, reason: issue.reason });
    }
  }
  if (issues.length === 0 && error !== undefined) {
    for (const [path, reason] of convictMessageProblems(error, prefix)) found.push({ rank: walked.length, path, reason });
  }

  found.sort((a, b) => a.rank - b.rank);
  for (const { path, reason } of found) problems.add(path, reason);
  return found.length === 0 ? (config.getProperties() as T) : undefined;
}

type Walked =
  | { readonly kind: 'leaf'; readonly dotted: string; readonly value: unknown }
  | { readonly kind: 'problem'; readonly path: string; readonly reason: string; readonly dotted?: string };

/** Reports unknown keys and wrong shapes, and collects the leaf values convict can be given. */
function walk(schema: SchemaNode, input: Record<string, unknown>, dotted: string, shown: string, out: Walked[]): void {
  const allowed = Object.keys(schema);
  for (const [key, value] of Object.entries(input)) {
    const path = joinKey(shown, key);
    const node = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (node === undefined) {
      out.push({ kind: 'problem', path, reason: unknownKeyReason(key, allowed) });
      continue;
    }
    const childDotted = dotted === '' ? key : `${dotted}.${key}`;
    if (isLeaf(node)) {
      if (isPlainObject(value) && !formatAcceptsMapping(node.format)) {
        // convict would merge the mapping into the key and then lose track of it.
        for (const issue of checkFormat(String(node.format), value, node)) {
          out.push({ kind: 'problem', path: `${path}${issue.at}`, reason: issue.reason, dotted: childDotted });
        }
      } else {
        out.push({ kind: 'leaf', dotted: childDotted, value });
      }
    } else if (isPlainObject(value)) {
      walk(node as SchemaNode, value, childDotted, path, out);
    } else {
      const keys = Object.keys(node as SchemaNode).join(', ');
      out.push({ kind: 'problem', path, reason: `must be a mapping with the keys ${keys} (got ${show(value)})` });
    }
  }
}

function environmentOf(schema: SchemaNode, env: NodeJS.ProcessEnv): { values: Record<string, string>; byPath: Map<string, string> } {
  const values: Record<string, string> = {};
  const byPath = new Map<string, string>();
  const visit = (node: SchemaNode, dotted: string): void => {
    for (const [key, child] of Object.entries(node)) {
      const path = dotted === '' ? key : `${dotted}.${key}`;
      if (!isLeaf(child)) {
        visit(child as SchemaNode, path);
        continue;
      }
      const name = child.env;
      const value = name === undefined ? undefined : env[name];
      if (name !== undefined && value !== undefined && value !== '') {
        values[name] = value;
        byPath.set(path, name);
      }
    }
  };
  visit(schema, '');
  return { values, byPath };
}

/**
 * Safety net: a convict failure that no format recorded (an undeclared or missing key the
 * walk did not catch). Reported by path; convict's own wording is not passed on.
 */
function convictMessageProblems(error: unknown, prefix: string): Array<[string, string]> {
  const message = error instanceof Error ? error.message : '';
  const found: Array<[string, string]> = [];
  for (const line of message.split('\n')) {
    const undeclared = /configuration param '(.+)' not declared in the schema/.exec(line);
    const missing = /configuration param '(.+)' missing from config/.exec(line);
    const key = (undeclared ?? missing)?.[1];
    if (key !== undefined) found.push([joinDotted(prefix, key), undeclared === null ? 'is required' : 'unknown key']);
  }
  return found.length > 0 ? found : [[prefix === '' ? '(configuration)' : prefix, 'is invalid']];
}
