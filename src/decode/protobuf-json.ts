/**
 * Protobuf records as JSON text, in the canonical proto3 JSON mapping (the README's "Schemas"
 * section has the table): lowerCamelCase field names, 64-bit integers as strings, enums by
 * name, bytes as base64, the well-known types as their JSON forms (Timestamp as RFC 3339,
 * Duration as "1.5s", wrappers as their value, Struct as an object). Unlike proto3's default
 * printer, every field is written, default values too, so every record has the same shape;
 * an unset message field is null, and only the set member of a oneof is written.
 *
 * A registry holds a Protobuf schema in one of two forms: .proto text (how Java producers and
 * Confluent's registry keep it) or a base64 FileDescriptorProto (how Python's serializer
 * registers it, and how Apicurio serves it back). Both are read. The record's message indexes
 * (wire-format.ts) pick the message type in its file.
 */
import protobuf from 'protobufjs';
// Loading it adds Root.fromDescriptor and Root#toDescriptor; it exports the descriptor types.
import descriptorTypes from 'protobufjs/ext/descriptor/index.js';

interface Descriptors {
  readonly FileDescriptorProto: protobuf.Type;
}
const descriptor = descriptorTypes as unknown as Descriptors;
type RootWithDescriptors = typeof protobuf.Root & { fromDescriptor(set: unknown): protobuf.Root };
type Describable = protobuf.Root & { toDescriptor(syntax: string): { file: { name: string }[] } };

type Field = protobuf.Field & { readonly map?: boolean; readonly keyType?: string };
type Message = Record<string, unknown>;

const WKT_FILES = Object.keys(protobuf.common).filter((k) => k.startsWith('google/protobuf/'));
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** FileDescriptorProtos of the well-known types, for descriptors that import them. */
let wktDescriptors: unknown[] | undefined;
function wellKnownDescriptors(): unknown[] {
  wktDescriptors ??= WKT_FILES.flatMap((name) => {
    const set = (protobuf.Root.fromJSON(protobuf.common.get(name) as protobuf.INamespace) as Describable).toDescriptor('proto3');
    return set.file.map((f) => Object.assign(f, { name }));
  });
  return wktDescriptors;
}

interface Schema {
  readonly root: protobuf.Root;
  /** Full names of the file's top-level messages, in declaration order. */
  readonly topLevel: readonly string[];
}

function fromText(text: string, references: ReadonlyMap<string, string>): Schema {
  const root = new protobuf.Root();
  const added = new Set<string>();
  const load = (source: string): protobuf.IParserResult => {
    const parsed = protobuf.parse(source, root, { keepCase: true });
    for (const file of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      if (added.has(file)) continue;
      added.add(file);
      const common = protobuf.common.get(file) as protobuf.INamespace | null;
      if (common !== null) root.addJSON(common.nested ?? {});
      else if (references.has(file)) load(references.get(file)!);
      else throw new Error(`imports ${file}, which the registry did not list as a reference`);
    }
    return parsed;
  };
  const own = protobuf.parse(text, { keepCase: true });
  load(text);
  root.resolveAll();
  const ns = own.package === undefined ? own.root : own.root.lookup(own.package);
  const topLevel = (ns instanceof protobuf.Namespace ? ns.nestedArray : []).filter((n) => n instanceof protobuf.Type).map((t) => t.fullName);
  return { root, topLevel };
}

function fromDescriptor(text: string, references: ReadonlyMap<string, string>): Schema {
  const decode = (b64: string) => descriptor.FileDescriptorProto.decode(Buffer.from(b64, 'base64')) as unknown as { package?: string; messageType?: { name: string }[] };
  const main = decode(text);
  const deps = [...references.values()].reverse().map(decode);
  const root = (protobuf.Root as RootWithDescriptors).fromDescriptor({ file: [...wellKnownDescriptors(), ...deps, main] });
  const prefix = main.package ? `.${main.package}.` : '.';
  return { root, topLevel: (main.messageType ?? []).map((m) => `${prefix}${m.name}`) };
}

/** A reader for one registered schema: message indexes and record bytes → JSON text. */
export function protobufReader(text: string, references: ReadonlyMap<string, string>): (indexes: readonly number[], bytes: Buffer) => string {
  const trimmed = text.trim();
  const schema = BASE64.test(trimmed) && !trimmed.includes(';') ? fromDescriptor(trimmed, references) : fromText(text, references);
  const types = new Map<string, protobuf.Type>();
  return (indexes, bytes) => {
    const path = indexes.join('.');
    let type = types.get(path);
    if (type === undefined) {
      type = messageAt(schema, indexes);
      types.set(path, type);
    }
    return messageJson(type, type.decode(bytes) as unknown as Message);
  };
}

function messageAt(schema: Schema, indexes: readonly number[]): protobuf.Type {
  const top = schema.topLevel[indexes[0]!];
  if (top === undefined) throw new Error(`message index ${indexes[0]} is past the file's ${schema.topLevel.length} messages`);
  let type = schema.root.lookupType(top);
  for (const i of indexes.slice(1)) {
    const nested = type.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)[i];
    if (nested === undefined) throw new Error(`nested message index ${i} is past ${type.fullName}'s messages`);
    type = nested;
  }
  return type;
}

/** proto3 JSON names: lowerCamelCase of the field name. */
const jsonName = (name: string): string => name.replace(/_+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());

function messageJson(type: protobuf.Type, m: Message): string {
  const wkt = WELL_KNOWN[type.fullName];
  if (wkt !== undefined) return wkt(type, m);
  const parts: string[] = [];
  for (const field of type.fieldsArray as Field[]) {
    // A decoded message owns the fields that were on the wire; the rest are prototype defaults.
    // A oneof member is written only when it was set.
    if (field.partOf !== null && field.partOf !== undefined && !Object.hasOwn(m, field.name)) continue;
    const value = m[field.name];
    parts.push(`${JSON.stringify(jsonName(field.name))}:${fieldJson(field, value)}`);
  }
  return `{${parts.join(',')}}`;
}

function fieldJson(field: Field, value: unknown): string {
  field.resolve();
  if (field.map) return `{${Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${single(field, v)}`).join(',')}}`;
  if (field.repeated) return `[${((value ?? []) as unknown[]).map((v) => single(field, v)).join(',')}]`;
  return single(field, value);
}

function single(field: Field, v: unknown): string {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return v === null || v === undefined ? 'null' : messageJson(resolved, v as Message);
  if (resolved instanceof protobuf.Enum) {
    if (resolved.fullName === '.google.protobuf.NullValue') return 'null';
    const n = Number(v ?? 0);
    return JSON.stringify(resolved.valuesById[n] ?? n);
  }
  return scalar(field.type, v);
}

function scalar(type: string, v: unknown): string {
  switch (type) {
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return `"${String(v ?? 0)}"`;
    case 'double':
    case 'float': {
      const n = Number(v ?? 0);
      return Number.isFinite(n) ? String(n) : `"${String(n)}"`;
    }
    case 'bool':
      return v === true ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v ?? '');
    case 'bytes':
      return `"${Buffer.from((v ?? new Uint8Array()) as Uint8Array).toString('base64')}"`;
    default:
      return String(v ?? 0);
  }
}

const fieldOf = (type: protobuf.Type, name: string): Field => type.fields[name] as Field;

function rfc3339(seconds: number, nanos: number): string {
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  const frac = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/(000)+$/, '')}`;
  return `${base}${frac}Z`;
}

const WRAPPERS = ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'];

const WELL_KNOWN: Record<string, (type: protobuf.Type, m: Message) => string> = {
  '.google.protobuf.Timestamp': (_t, m) => `"${rfc3339(Number(m['seconds'] ?? 0), Number(m['nanos'] ?? 0))}"`,
  '.google.protobuf.Duration': (_t, m) => {
    const nanos = Number(m['nanos'] ?? 0);
    const frac = nanos === 0 ? '' : `.${String(Math.abs(nanos)).padStart(9, '0').replace(/0+$/, '')}`;
    return `"${String(m['seconds'] ?? 0)}${frac}s"`;
  },
  '.google.protobuf.Empty': () => '{}',
  '.google.protobuf.FieldMask': (_t, m) => JSON.stringify(((m['paths'] ?? []) as string[]).map(jsonName).join(',')),
  '.google.protobuf.Any': (_t, m) => `{"@type":${JSON.stringify(m['type_url'] ?? m['typeUrl'] ?? '')},"value":"${Buffer.from((m['value'] ?? new Uint8Array()) as Uint8Array).toString('base64')}"}`,
  '.google.protobuf.Struct': (t, m) => fieldJson(fieldOf(t, 'fields'), m['fields']),
  '.google.protobuf.ListValue': (t, m) => fieldJson(fieldOf(t, 'values'), m['values']),
  '.google.protobuf.Value': (t, m) => {
    // protobufjs spells these fields in camelCase or snake_case, as the schema came.
    const kind = t.fieldsArray.find((f) => Object.hasOwn(m, f.name));
    return kind === undefined ? 'null' : single(kind as Field, m[kind.name]);
  },
  ...Object.fromEntries(WRAPPERS.map((w) => [`.google.protobuf.${w}Value`, (t: protobuf.Type, m: Message) => single(fieldOf(t, 'value'), m['value'])])),
};
