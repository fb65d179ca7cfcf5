/**
 * The convict formats of the bridge's schema. Every format is registered by name (convict
 * coerces string values by format name, and an unnamed format would get convict's loose
 * coercion: parseFloat("80abc") = 80). A format returns a list of issues instead of throwing a
 * single message, so that a problem inside a list or a mapping names its exact path
 * (routes[0].topics[2], routes[0].endpoint.headers.authorization).
 *
 * Parameters (bounds, allowed values, patterns) live in the schema property as `params`;
 * convict hands the property to the format, so one format serves every key of its kind.
 */
import convict from 'convict';
import { COLLECTION_FORMATS } from './collection-formats.ts';
import { FILTER_FORMATS } from './filter-formats.ts';
import type { FormatName, FormatParams, FormatSpec } from './format-kit.ts';
import type { Issue } from './problems.ts';
import { SCALAR_FORMATS } from './scalar-formats.ts';

export { FORMAT, type FormatName, type FormatParams } from './format-kit.ts';
export { redactUserinfo } from './url-check.ts';

const SPECS: Record<FormatName, FormatSpec> = { ...SCALAR_FORMATS, ...COLLECTION_FORMATS, ...FILTER_FORMATS };

function paramsOf(property: convict.SchemaObj): FormatParams {
  return (property as { params?: FormatParams }).params ?? {};
}

function isRequired(property: convict.SchemaObj): boolean {
  return property.default === null && property.nullable !== true;
}

/** Runs a format directly (for a value convict cannot be given, e.g. a mapping for a string). */
export function checkFormat(name: string, value: unknown, property: convict.SchemaObj): Issue[] {
  const spec = SPECS[name as FormatName] as FormatSpec | undefined;
  if (spec === undefined) throw new Error(`unknown configuration format ${name}`);
  return spec.check(value, paramsOf(property), isRequired(property));
}

export function formatAcceptsMapping(name: unknown): boolean {
  return (SPECS[name as FormatName] as FormatSpec | undefined)?.acceptsMapping === true;
}

/**
 * Thrown (through convict) by a failing format. convict adds `fullName`, the dotted path of
 * the property, to this very object before it turns all failures into one string; the sink
 * below keeps the objects so that the path and the issues stay structured.
 */
export class FormatIssues extends Error {
  readonly issues: readonly Issue[];
  declare fullName?: string;

  constructor(issues: readonly Issue[]) {
    super(issues.map((issue) => `${issue.at}: ${issue.reason}`).join('; '));
    this.name = 'FormatIssues';
    this.issues = issues;
  }
}

let sink: FormatIssues[] | undefined;

/** Runs `validate` (synchronously) and returns every FormatIssues thrown by a format during it. */
export function captureFormatIssues(validate: () => void): { issues: FormatIssues[]; error: unknown } {
  const previous = sink;
  const issues: FormatIssues[] = [];
  sink = issues;
  try {
    validate();
    return { issues, error: undefined };
  } catch (error) {
    return { issues, error };
  } finally {
    sink = previous;
  }
}

convict.addFormats(
  Object.fromEntries(
    Object.entries(SPECS).map(([name, spec]) => [
      name,
      {
        validate(value: unknown, property: convict.SchemaObj): void {
          const issues = spec.check(value, paramsOf(property), isRequired(property));
          if (issues.length === 0) return;
          const failure = new FormatIssues(issues);
          sink?.push(failure);
          throw failure;
        },
        ...(spec.coerce === undefined ? {} : { coerce: spec.coerce }),
      },
    ]),
  ),
);
