/**
 * JSON Schema validation for tests (draft-07, the draft Helm validates values.schema.json
 * with). Backed by Ajv. Ajv is in node_modules today only as a dependency of fastify; the
 * project should list it itself (devDependency "ajv": "^8.20.0", the version already in
 * package-lock.json) so that this file does not lean on another package's dependency.
 */
import { Ajv, type ErrorObject } from 'ajv';

/** Problems of `data` against `schema`, one line each ("<path>: <message>"); [] when valid. */
export function validateAgainstSchema(schema: object, data: unknown): string[] {
  // strict: an unknown keyword or a misspelt one in the schema is an error, not a silent no-op.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  const validate = ajv.compile(schema);
  if (validate(data)) return [];
  return (validate.errors ?? []).map(describe);
}

function describe(error: ErrorObject): string {
  const path = error.instancePath === '' ? '(root)' : error.instancePath;
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})`
      : error.keyword === 'enum'
        ? ` (${JSON.stringify((error.params as { allowedValues?: unknown }).allowedValues)})`
        : '';
  return `${path}: ${error.message ?? error.keyword}${extra}`;
}
