/**
 * A client of the Confluent Schema Registry API (Confluent, Apicurio's ccompat API, Karapace
 * and Redpanda speak it): a schema by id, with the schemas it references, and the subject it
 * was registered under. Schemas never change once registered, so each id is fetched once and
 * kept for the life of the process; failures are not kept.
 *
 * Two kinds of failure, because they ask for opposite handling:
 * - the registry answers that it has no such schema: the record names a schema that does not
 *   exist, and is poison (SchemaNotFound);
 * - the registry cannot answer (refused, timed out, 5xx, 401/403): nothing is wrong with the
 *   record, the route pauses until the registry answers again (RegistryUnavailable), and a
 *   probe with backoff finds out when.
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { SchemaRegistryConfig } from '../config/types.ts';
import { createEndpointAuth } from '../delivery/auth/create-endpoint-auth.ts';
import type { EndpointAuth } from '../delivery/auth/endpoint-auth.ts';
import type { Outage } from '../delivery/outcome.ts';
import { endpointConnect } from '../delivery/tls-connect.ts';
import { PauseReason } from '../flow/pause-reasons.ts';

export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';

export interface Reference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

export interface RegisteredSchema {
  readonly id: number;
  readonly type: SchemaType;
  /** The schema text: Avro JSON, .proto text or a base64 FileDescriptorProto, JSON Schema. */
  readonly text: string;
  /** Every schema it references, transitively, by reference name. */
  readonly references: ReadonlyMap<string, string>;
}

export class SchemaNotFound extends Error {}
export class RegistryUnavailable extends Error {}

const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Subject, version and schema not found, in the Confluent API's error codes. */
const NOT_FOUND_CODES = new Set([40401, 40402, 40403]);

function errorCode(text: string): number | undefined {
  try {
    const code = (JSON.parse(text) as { error_code?: unknown }).error_code;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}
const PROBE_FIRST_MS = 500;
const PROBE_MAX_MS = 30_000;

export class SchemaRegistry {
  readonly url: string;
  readonly #config: SchemaRegistryConfig;
  readonly #agent: Dispatcher;
  readonly #auth: EndpointAuth | undefined;
  readonly #byId = new Map<number, Promise<RegisteredSchema>>();
  readonly #subjects = new Map<number, Promise<string | undefined>>();
  #recovery: Promise<void> | undefined;
  #closed = false;

  constructor(config: SchemaRegistryConfig) {
    this.#config = config;
    this.url = config.url.replace(/\/+$/, '');
    this.#agent = new Agent({ connect: endpointConnect(config.tls, config.timeout), connections: 8 });
    this.#auth = config.auth === undefined ? undefined : createEndpointAuth(config.auth, { timeout: config.timeout });
  }

  /** The schema registered under `id`; rejects with SchemaNotFound or RegistryUnavailable. */
  schema(id: number): Promise<RegisteredSchema> {
    let found = this.#byId.get(id);
    if (found === undefined) {
      found = this.#fetchSchema(id);
      this.#byId.set(id, found);
      found.catch(() => this.#byId.delete(id));
    }
    return found;
  }

  /** The first subject `id` was registered under; undefined when the registry will not say. */
  subject(id: number): Promise<string | undefined> {
    let found = this.#subjects.get(id);
    if (found === undefined) {
      found = this.#get(`/schemas/ids/${id}/versions`).then(
        (body) => (Array.isArray(body) ? (body as { subject?: unknown }[]).find((v) => typeof v.subject === 'string')?.subject as string | undefined : undefined),
        () => {
          // Asked again next time: a registry that was down for a moment may say it then.
          this.#subjects.delete(id);
          return undefined;
        },
      );
      this.#subjects.set(id, found);
    }
    return found;
  }

  async #fetchSchema(id: number): Promise<RegisteredSchema> {
    const body = (await this.#get(`/schemas/ids/${id}`)) as { schema?: unknown; schemaType?: unknown; references?: unknown };
    if (typeof body.schema !== 'string') throw new RegistryUnavailable(`schema ${id}: the registry's answer has no schema text`);
    const references = new Map<string, string>();
    await this.#resolve(asReferences(body.references), references, 0);
    const type = body.schemaType === 'PROTOBUF' || body.schemaType === 'JSON' ? body.schemaType : 'AVRO';
    return { id, type, text: body.schema, references };
  }

  async #resolve(refs: readonly Reference[], into: Map<string, string>, depth: number): Promise<void> {
    if (depth > 32) throw new SchemaNotFound('schema references nest more than 32 deep');
    for (const ref of refs) {
      if (into.has(ref.name)) continue;
      const body = (await this.#get(`/subjects/${encodeURIComponent(ref.subject)}/versions/${ref.version}`)) as { schema?: unknown; references?: unknown };
      if (typeof body.schema !== 'string') throw new SchemaNotFound(`referenced schema ${ref.subject} version ${ref.version} has no text`);
      into.set(ref.name, body.schema);
      await this.#resolve(asReferences(body.references), into, depth + 1);
    }
  }

  async #get(path: string): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (this.#auth !== undefined) {
      const credential = await this.#auth.authorization();
      if (typeof credential !== 'string') throw new RegistryUnavailable(`its token endpoint: ${credential.detail}`);
      headers['authorization'] = credential;
    }
    let status: number;
    let text: string;
    try {
      const res = await request(`${this.url}${path}`, { dispatcher: this.#agent, headers, headersTimeout: this.#config.timeout, bodyTimeout: this.#config.timeout });
      status = res.statusCode;
      text = await readCapped(res.body);
    } catch (error) {
      throw new RegistryUnavailable(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    // Only the registry's own "not found" codes say a schema does not exist. A bare 404 is a
    // wrong schemaRegistry.url: taking it for "no such schema" would dead-letter every record.
    const code = status === 404 ? errorCode(text) : undefined;
    if (code !== undefined && NOT_FOUND_CODES.has(code)) throw new SchemaNotFound(`the registry has no ${path.replace(/^\//, '').replace(/\//g, ' ')}`);
    if (status === 404) throw new RegistryUnavailable(`GET ${path} answered 404 without a registry error code: is schemaRegistry.url the base of the Confluent API?`);
    if (status < 200 || status >= 300) throw new RegistryUnavailable(`GET ${path} answered ${status}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RegistryUnavailable(`GET ${path} answered ${status} with a body that is not JSON`);
    }
  }

  /**
   * The outage the route pauses for: it is over once the registry answers again. One probe
   * runs for all routes, with backoff; it asks for the list of subjects, which every
   * implementation serves and which says nothing about any one record.
   */
  outage(detail: string): Outage {
    this.#recovery ??= this.#probe().finally(() => {
      this.#recovery = undefined;
    });
    return { reason: PauseReason.schemaRegistry, detail, recovered: this.#recovery };
  }

  async #probe(): Promise<void> {
    for (let wait = PROBE_FIRST_MS; !this.#closed; wait = Math.min(PROBE_MAX_MS, wait * 2)) {
      await new Promise((r) => setTimeout(r, wait).unref());
      try {
        await this.#get('/subjects');
        return;
      } catch (error) {
        if (error instanceof SchemaNotFound) return;
      }
    }
  }

  /** Whether the registry answers now (for `check`). */
  async ping(): Promise<void> {
    await this.#get('/subjects');
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#auth?.close();
    await this.#agent.close();
  }
}

function asReferences(value: unknown): Reference[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((r: { name?: unknown; subject?: unknown; version?: unknown }) =>
    typeof r.name === 'string' && typeof r.subject === 'string' && typeof r.version === 'number' ? [{ name: r.name, subject: r.subject, version: r.version }] : [],
  );
}

async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new RegistryUnavailable(`an answer larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
