/**
 * How one route reads a record's key and value before anything else looks at them (filters,
 * payloads, batch bodies): a converter per part, chosen in `routes[].decode`, as Kafka Connect
 * chooses one per key and value.
 *
 *   bytes             as Kafka holds it (the default)
 *   string            UTF-8 text, or the record is poison (not-utf8)
 *   json              JSON text, or the record is poison (not-json)
 *   schema-registry   Confluent wire format → the registered schema → JSON text
 *
 * What a record may come to:
 *   - a decoded view: key and value replaced, `raw` the record as Kafka holds it (copies carry
 *     the original bytes), `schemas` the ids and subjects that decoded it;
 *   - poison (a permanent failure, straight to the dead-letter topic with its reason): not in
 *     the wire format, a schema id the registry does not have, bytes the schema cannot read;
 *     a key's reasons start with `key-`;
 *   - an outage: the registry does not answer. The route pauses and the record waits.
 */
import { isUtf8 } from 'node:buffer';
import type { Decoding, RouteConfig } from '../config/types.ts';
import { NOT_JSON, parseJsonText } from '../delivery/json-text.ts';
import { Verdict, type AttemptResult, type Outage } from '../delivery/outcome.ts';
import type { BridgeRecord, SchemaRef } from '../kafka/record.ts';
import { avroReader } from './avro-json.ts';
import { protobufReader } from './protobuf-json.ts';
import { RegistryUnavailable, SchemaNotFound, type RegisteredSchema, type SchemaRegistry } from './schema-registry.ts';
import { messageIndexes, unframe } from './wire-format.ts';

export type Decoded = { readonly record: BridgeRecord } | { readonly poison: AttemptResult } | { readonly outage: Outage };

type Part = 'key' | 'value';
type PartResult = { bytes: Buffer | null; schema?: SchemaRef } | { poison: AttemptResult } | { outage: Outage };
/** Framed body → JSON text; throws when the bytes do not decode. */
type Reader = (body: Buffer) => string;

const poison = (part: Part, reason: string, message: string): { poison: AttemptResult } => ({
  poison: { verdict: Verdict.permanent, reason: part === 'key' ? `key-${reason}` : reason, message: `${part}: ${message}` },
});

export class RecordDecoder {
  readonly #decode: RouteConfig['decode'];
  readonly #registry: SchemaRegistry | undefined;
  readonly #readers = new Map<number, Promise<Reader>>();
  /** False when both parts are `bytes`: records pass through untouched, without an await. */
  readonly active: boolean;

  constructor(decode: RouteConfig['decode'], registry: SchemaRegistry | undefined) {
    this.#decode = decode;
    this.#registry = registry;
    this.active = decode.key !== 'bytes' || decode.value !== 'bytes';
  }

  async decode(record: BridgeRecord): Promise<Decoded> {
    const key = await this.#part('key', this.#decode.key, record.key);
    if (!('bytes' in key)) return key;
    const value = await this.#part('value', this.#decode.value, record.value);
    if (!('bytes' in value)) return value;
    const schemas = key.schema === undefined && value.schema === undefined ? undefined : { key: key.schema, value: value.schema };
    return { record: { ...record, key: key.bytes, value: value.bytes, raw: record, ...(schemas === undefined ? {} : { schemas }) } };
  }

  async #part(part: Part, how: Decoding, bytes: Buffer | null): Promise<PartResult> {
    if (bytes === null || how === 'bytes') return { bytes };
    if (how === 'string') return isUtf8(bytes) ? { bytes } : poison(part, 'not-utf8', 'not UTF-8 text');
    if (how === 'json') return isUtf8(bytes) && parseJsonText(bytes.toString('utf8')) !== NOT_JSON ? { bytes } : poison(part, 'not-json', 'not JSON text');
    return this.#fromRegistry(part, bytes);
  }

  async #fromRegistry(part: Part, bytes: Buffer): Promise<PartResult> {
    const registry = this.#registry!;
    let framed;
    try {
      framed = unframe(bytes);
    } catch (error) {
      return poison(part, 'not-wire-format', `not in the Schema Registry wire format: ${(error as Error).message}`);
    }
    let read: Reader;
    try {
      read = await this.#reader(framed.schemaId);
    } catch (error) {
      if (error instanceof RegistryUnavailable) return { outage: registry.outage(`schema registry: ${error.message}`) };
      if (error instanceof SchemaNotFound) return poison(part, 'schema-not-found', `schema id ${framed.schemaId}: ${error.message}`);
      return poison(part, 'schema-unusable', `schema id ${framed.schemaId} cannot be read: ${(error as Error).message}`);
    }
    let json: string;
    try {
      json = read(framed.body);
    } catch (error) {
      return poison(part, 'schema-decode-failed', `does not decode with schema id ${framed.schemaId}: ${(error as Error).message}`);
    }
    const subject = await registry.subject(framed.schemaId);
    return { bytes: Buffer.from(json, 'utf8'), schema: { id: framed.schemaId, subject, url: `${registry.url}/schemas/ids/${framed.schemaId}` } };
  }

  /** One reader per schema id, built once; a registry failure is not kept. */
  #reader(id: number): Promise<Reader> {
    let found = this.#readers.get(id);
    if (found === undefined) {
      found = this.#registry!.schema(id).then(readerFor);
      this.#readers.set(id, found);
      found.catch(() => this.#readers.delete(id));
    }
    return found;
  }
}

function readerFor(schema: RegisteredSchema): Reader {
  switch (schema.type) {
    case 'AVRO':
      return avroReader(schema.text, schema.references);
    case 'PROTOBUF': {
      const read = protobufReader(schema.text, schema.references);
      return (body) => {
        const { indexes, message } = messageIndexes(body);
        return read(indexes, message);
      };
    }
    case 'JSON':
      return (body) => {
        const text = body.toString('utf8');
        if (!isUtf8(body) || parseJsonText(text) === NOT_JSON) throw new Error('the record is not JSON text');
        return text;
      };
  }
}
