/**
 * The JSON mapping of decoded records, case by case (README "Schemas"). Records are encoded
 * here with avsc and protobufjs themselves; the wire format as real serializers write it is
 * the integration test's business (schema-registry-records-arrive-as-json).
 */
import avro from 'avsc';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { avroReader, decimal } from '../../src/decode/avro-json.ts';
import { protobufReader } from '../../src/decode/protobuf-json.ts';
import { messageIndexes, NotWireFormat, unframe } from '../../src/decode/wire-format.ts';

describe('the wire format', () => {
  it('reads the schema id and refuses what is not framed', () => {
    expect(unframe(Buffer.from([0, 0, 0, 1, 2, 42])).schemaId).toBe(258);
    expect(() => unframe(Buffer.from('{"a":1}'))).toThrow(NotWireFormat);
    expect(() => unframe(Buffer.from([0, 0, 1]))).toThrow(/shorter than the 5-byte header/);
  });

  it('reads Protobuf message indexes: the single 0 byte, and a path', () => {
    expect(messageIndexes(Buffer.from([0, 8, 1])).indexes).toEqual([0]);
    // count 2 (zigzag 4), then 1 (2) and 3 (6): the fourth message nested in the second.
    const { indexes, message } = messageIndexes(Buffer.from([4, 2, 6, 0x08, 0x01]));
    expect(indexes).toEqual([1, 3]);
    expect([...message]).toEqual([0x08, 0x01]);
    expect(() => messageIndexes(Buffer.from([0x80]))).toThrow(/truncated/);
  });
});

describe('Avro as JSON', () => {
  const schema = {
    type: 'record',
    name: 'R',
    fields: [
      { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 } },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
      { name: 'local', type: { type: 'long', logicalType: 'local-timestamp-millis' } },
      { name: 'day', type: { type: 'int', logicalType: 'date' } },
      { name: 'time', type: { type: 'int', logicalType: 'time-millis' } },
      { name: 'either', type: ['null', 'int', 'string'] },
      { name: 'maybe', type: ['null', 'long'] },
      { name: 'ratio', type: 'double' },
      { name: 'kind', type: { type: 'enum', name: 'K', symbols: ['A', 'B'] } },
      { name: 'hash', type: { type: 'fixed', name: 'H', size: 2 } },
    ],
  };
  // Written with plain longs and bytes (what any writer sends): the reader alone maps them.
  const writer = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: true } as Partial<avro.ForSchemaOptions>);

  it('maps logical types, unions, longs, non-finite doubles, enums and fixed', () => {
    const bytes = writer.toBuffer({
      price: Buffer.from([0xff, 0x6a]), // -150 unscaled
      at: 1_796_688_000_123_456,
      local: 86_400_001,
      day: -1,
      time: 37_800_123,
      either: { int: 7 },
      maybe: { long: 2 ** 52 },
      ratio: Number.NaN,
      kind: 'B',
      hash: Buffer.from([1, 2]),
    });
    expect(avroReader(JSON.stringify(schema), new Map())(bytes)).toBe(
      '{"price":"-1.50","at":"2026-12-08T00:00:00.123456Z","local":"1970-01-02T00:00:00.001","day":"1969-12-31","time":"10:30:00.123",' +
        '"either":{"int":7},"maybe":4503599627370496,"ratio":"NaN","kind":"B","hash":"AQI="}',
    );
  });

  it('keeps every digit of decimals and refuses bytes the schema cannot read', () => {
    expect(decimal(Buffer.from('0de0b6b3a7640000', 'hex'), 18)).toBe('1.000000000000000000');
    expect(decimal(Buffer.from([0x00]), 3)).toBe('0.000');
    expect(() => avroReader(JSON.stringify(schema), new Map())(Buffer.from([1, 2, 3]))).toThrow();
  });
});

describe('Protobuf as JSON', () => {
  const proto = `
    syntax = "proto3";
    package t;
    import "google/protobuf/duration.proto";
    import "google/protobuf/wrappers.proto";
    import "google/protobuf/struct.proto";
    message First { string a = 1; }
    message Second {
      enum Color { NONE = 0; RED = 1; }
      uint64 big = 1;
      double ratio = 2;
      Color color = 3;
      google.protobuf.Duration wait = 4;
      google.protobuf.Int32Value maybe = 5;
      google.protobuf.Struct extra = 6;
      oneof pick { string name = 7; int32 number = 8; }
      First first = 9;
      message Inner { bool on_off = 1; }
      Inner inner_value = 10;
    }`;
  const root = protobuf.parse(proto, { keepCase: true }).root;
  root.addJSON((protobuf.common.get('google/protobuf/duration.proto') as protobuf.INamespace).nested!);
  root.addJSON((protobuf.common.get('google/protobuf/wrappers.proto') as protobuf.INamespace).nested!);
  root.addJSON((protobuf.common.get('google/protobuf/struct.proto') as protobuf.INamespace).nested!);
  const Second = root.lookupType('t.Second');

  it('writes 64-bit integers as strings, enums by name, the well-known types in their JSON forms, one oneof member, camelCase names', () => {
    const bytes = Second.encode(
      Second.fromObject({
        big: '18446744073709551615',
        ratio: Number.POSITIVE_INFINITY,
        color: 1,
        wait: { seconds: 3, nanos: 500_000_000 },
        maybe: { value: 0 },
        extra: { fields: { n: { numberValue: 1.5 }, s: { stringValue: 'x' }, z: { nullValue: 0 } } },
        number: 4,
        inner_value: { on_off: true },
      }),
    ).finish();
    expect(protobufReader(proto, new Map())([1], Buffer.from(bytes))).toBe(
      '{"big":"18446744073709551615","ratio":"Infinity","color":"RED","wait":"3.5s","maybe":0,"extra":{"n":1.5,"s":"x","z":null},"number":4,"first":null,"innerValue":{"onOff":true}}',
    );
  });

  it('picks the message by its indexes and refuses an index past the file', () => {
    const First = root.lookupType('t.First');
    expect(protobufReader(proto, new Map())([0], Buffer.from(First.encode({ a: 'z' }).finish()))).toBe('{"a":"z"}');
    expect(() => protobufReader(proto, new Map())([5], Buffer.alloc(0))).toThrow(/past the file's 2 messages/);
    expect(() => protobufReader(proto, new Map())([1, 0], Buffer.alloc(0))).not.toThrow();
  });
});
