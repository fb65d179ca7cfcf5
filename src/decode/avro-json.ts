/**
 * Avro records (decoded by avsc) as JSON text, with the mapping the README's "Schemas" section
 * documents. The writer's schema, the one the record names, reads it: a record is always read
 * with the schema it was written with, so evolution needs no reader schema here.
 *
 *   long                      a number with every digit (never rounded to a double)
 *   float, double             a number; NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity"
 *   bytes, fixed              base64
 *   enum                      its symbol
 *   union [null, T]           null or the value
 *   any other union           {"<branch>": value}, the branch named as Avro names it
 *   decimal                   a string with the exact digits ("12345.67")
 *   timestamp-millis/micros   ISO-8601 UTC ("2026-12-07T10:30:00.123Z"); local-… without the Z
 *   date                      "2026-12-07";  time-millis/micros  "10:30:00.123"
 *   uuid                      its string
 */
import avro from 'avsc';

/** Longs as bigint: avsc's default rounds anything past 2^53. */
const BigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (n: number | string) => BigInt(n),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** Keeps a logical type's underlying value and its schema attributes, for the JSON writer. */
class Kept extends avro.types.LogicalType {
  readonly attrs: Record<string, unknown>;

  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    this.attrs = schema as unknown as Record<string, unknown>;
  }

  protected override _fromValue(v: unknown): unknown {
    return v;
  }

  protected override _toValue(v: unknown): unknown {
    return v;
  }

  protected override _resolve(type: avro.Type): unknown {
    return type.typeName === this.underlyingType.typeName ? (v: unknown) => v : undefined;
  }
}

const LOGICAL_NAMES = ['decimal', 'timestamp-millis', 'timestamp-micros', 'local-timestamp-millis', 'local-timestamp-micros', 'date', 'time-millis', 'time-micros', 'uuid'];
const logicalTypes = Object.fromEntries(LOGICAL_NAMES.map((n) => [n, Kept]));

/** A reader for one writer schema: record bytes → JSON text. Throws when the bytes do not decode. */
export function avroReader(text: string, references: ReadonlyMap<string, string>): (bytes: Buffer) => string {
  const registry: Record<string, avro.Type> = { long: BigLong };
  const opts = { registry, wrapUnions: true, logicalTypes } as Partial<avro.ForSchemaOptions>;
  // References come parent first; the most deeply referenced schemas must be known first.
  for (const ref of [...references.values()].reverse()) avro.Type.forSchema(JSON.parse(ref) as avro.Schema, opts);
  const type = avro.Type.forSchema(JSON.parse(text) as avro.Schema, opts);
  return (bytes) => toJson(type, type.fromBuffer(bytes));
}

interface Composite {
  readonly itemsType: avro.Type;
  readonly valuesType: avro.Type;
  readonly fields: readonly { name: string; type: avro.Type }[];
  readonly types: readonly avro.Type[];
}

function toJson(type: avro.Type, v: unknown): string {
  if (type instanceof Kept) return logical(type, v);
  const t = type as unknown as Composite;
  switch (type.typeName) {
    case 'null':
      return 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'int':
    case 'long':
    case 'abstract:long': // BigLong
      return String(v);
    case 'float':
    case 'double':
      return number(v as number);
    case 'string':
    case 'enum':
      return JSON.stringify(v);
    case 'bytes':
    case 'fixed':
      return `"${(v as Buffer).toString('base64')}"`;
    case 'array':
      return `[${(v as unknown[]).map((x) => toJson(t.itemsType, x)).join(',')}]`;
    case 'map':
      return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}:${toJson(t.valuesType, x)}`).join(',')}}`;
    case 'record':
    case 'error':
      return `{${t.fields.map((f) => `${JSON.stringify(f.name)}:${toJson(f.type, (v as Record<string, unknown>)[f.name])}`).join(',')}}`;
    default:
      return union(t, v);
  }
}

function union(t: Composite, v: unknown): string {
  if (v === null || v === undefined) return 'null';
  const [name] = Object.keys(v as object);
  const branch = t.types.find((b) => b.branchName === name);
  if (name === undefined || branch === undefined) throw new Error(`union value matches no branch of ${t.types.map((b) => b.branchName).join(', ')}`);
  const inner = toJson(branch, (v as Record<string, unknown>)[name]);
  const nullable = t.types.length === 2 && t.types.some((b) => b.typeName === 'null');
  return nullable ? inner : `{${JSON.stringify(name)}:${inner}}`;
}

function number(n: number): string {
  return Number.isFinite(n) ? String(n) : `"${String(n)}"`;
}

function logical(type: Kept, v: unknown): string {
  const name = type.attrs['logicalType'];
  switch (name) {
    case 'decimal':
      return `"${decimal(v as Buffer, Number(type.attrs['scale'] ?? 0))}"`;
    case 'timestamp-millis':
    case 'local-timestamp-millis':
      return `"${timestamp(BigInt(v as bigint) * 1000n, name === 'timestamp-millis', 3)}"`;
    case 'timestamp-micros':
    case 'local-timestamp-micros':
      return `"${timestamp(BigInt(v as bigint), name === 'timestamp-micros', 6)}"`;
    case 'date':
      return `"${new Date(Number(v) * 86_400_000).toISOString().slice(0, 10)}"`;
    case 'time-millis':
      return `"${timeOfDay(BigInt(v as number) * 1000n, 3)}"`;
    case 'time-micros':
      return `"${timeOfDay(BigInt(v as bigint), 6)}"`;
    default:
      return toJson(type.underlyingType, v);
  }
}

/** Two's complement big-endian unscaled value, `scale` digits after the point. */
export function decimal(bytes: Buffer, scale: number): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) n -= 1n << BigInt(bytes.length * 8);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

function timestamp(micros: bigint, utc: boolean, fraction: number): string {
  const ms = floorDiv(micros, 1000n);
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return micros.toString();
  const iso = date.toISOString().slice(0, 19);
  const sub = (micros - ms * 1000n) + (ms - floorDiv(ms, 1000n) * 1000n) * 1000n;
  return `${iso}.${sub.toString().padStart(6, '0').slice(0, fraction)}${utc ? 'Z' : ''}`;
}

function timeOfDay(micros: bigint, fraction: number): string {
  const s = micros / 1_000_000n;
  const pad = (n: bigint) => n.toString().padStart(2, '0');
  return `${pad(s / 3600n)}:${pad((s / 60n) % 60n)}:${pad(s % 60n)}.${(micros % 1_000_000n).toString().padStart(6, '0').slice(0, fraction)}`;
}
