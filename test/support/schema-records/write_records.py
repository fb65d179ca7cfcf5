"""Writes Schema Registry test records with Confluent's own Python serializers.

The records are what users' services put on the wire: the Confluent wire format (magic byte,
schema id, Protobuf message indexes) written by confluent-kafka's serializers through its
librdkafka producer, with schemas registered by the serializers themselves. The bridge's
tests read them back; nothing here knows how the bridge decodes.

Usage: python write_records.py <bootstrap> <registry url> <topic prefix> <proto dir>
Prints one JSON line: {"topics": {...}, "ids": {...}}.
"""
import datetime
import decimal
import importlib
import json
import os
import sys

from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer

bootstrap, registry_url, prefix, proto_dir = sys.argv[1:5]
sys.path.insert(0, proto_dir)
registry = SchemaRegistryClient({"url": registry_url})
producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "compression.type": "zstd"})
keys = StringSerializer("utf_8")
topics = {name: f"{prefix}-{name}" for name in ["avro", "protobuf", "protobuf-text", "json"]}
ids = {}


def send(topic, key, value_bytes):
    producer.produce(topic, key=keys(key), value=value_bytes)


def ctx(topic):
    return SerializationContext(topic, MessageField.VALUE)


# --- Avro: a reference, logical types, unions, and two versions of one schema -------------
CUSTOMER = {
    "type": "record", "name": "Customer", "namespace": "shop",
    "fields": [{"name": "name", "type": "string"}, {"name": "tier", "type": {"type": "enum", "name": "Tier", "symbols": ["GOLD", "SILVER"]}}],
}
ORDER_FIELDS = [
    {"name": "id", "type": "long"},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
    {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "note", "type": ["null", "string"], "default": None},
    {"name": "choice", "type": ["int", "string"]},
    {"name": "customer", "type": "shop.Customer"},
    {"name": "tags", "type": {"type": "array", "items": "string"}},
    {"name": "counts", "type": {"type": "map", "values": "long"}},
    {"name": "raw", "type": "bytes"},
    {"name": "ratio", "type": "double"},
]
customer_subject = f"{topics['avro']}-shop.Customer"
registry.register_schema(customer_subject, Schema(json.dumps(CUSTOMER), "AVRO"))
ref = [SchemaReference("shop.Customer", customer_subject, 1)]
v1 = {"type": "record", "name": "Order", "namespace": "shop", "fields": ORDER_FIELDS}
v2 = {"type": "record", "name": "Order", "namespace": "shop", "fields": ORDER_FIELDS + [{"name": "channel", "type": "string", "default": "web"}]}
order = {
    "id": 9007199254740993,
    "amount": decimal.Decimal("12345.67"),
    "created": datetime.datetime(2026, 12, 7, 10, 30, 0, 123000, tzinfo=datetime.timezone.utc),
    "day": datetime.date(2026, 12, 7),
    "note": None,
    "choice": "seven",
    "customer": {"name": "Ada", "tier": "GOLD"},
    "tags": ["a", "b"],
    "counts": {"x": 1},
    "raw": b"\x00\xff\x10",
    "ratio": 0.5,
}
for n, schema in enumerate([v1, v2], start=1):
    ser = AvroSerializer(registry, Schema(json.dumps(schema), "AVRO", ref))
    value = dict(order, note="second" if n == 2 else None, **({"channel": "app"} if n == 2 else {}))
    send(topics["avro"], f"order-{n}", ser(value, ctx(topics["avro"])))
ids["avro"] = [registry.lookup_schema(f"{topics['avro']}-value", Schema(json.dumps(s), "AVRO", ref)).schema_id for s in [v1, v2]]

# --- Protobuf: the second message of its file, registered by the serializer --------------
events = importlib.import_module("events_pb2")
event = events.Event()
event.id = 9007199254740993
event.kind = events.Event.Kind.SHIPPED
event.at.FromDatetime(datetime.datetime(2026, 12, 7, 10, 30, 0, tzinfo=datetime.timezone.utc))
event.header.source = "warehouse"
event.labels.extend(["x", "y"])
event.payload = b"\x00\xff"
event.amounts["eur"] = 250
ser = ProtobufSerializer(events.Event, registry, {"use.deprecated.format": False})
send(topics["protobuf"], "event-1", ser(event, ctx(topics["protobuf"])))

# --- Protobuf, registered as .proto text the way Java producers do it --------------------
# The Python serializer only reads the base64 form back, so the record is the serializer's
# own bytes from above with the schema id swapped for the id of the text registration:
# framing, message indexes and payload stay Confluent's, byte for byte.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "events.proto")) as f:
    proto_text = f.read()
text_subject = f"{topics['protobuf-text']}-value"
text_id = registry.register_schema(text_subject, Schema(proto_text, "PROTOBUF"))
framed = ser(event, ctx(topics["protobuf"]))
send(topics["protobuf-text"], "event-1", framed[:1] + text_id.to_bytes(4, "big") + framed[5:])
ids["protobuf-text"] = text_id
ids["protobuf"] = int.from_bytes(framed[1:5], "big")

# --- JSON Schema ----------------------------------------------------------------------------
PERSON = {
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "Person", "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "big": {"type": "integer"}},
    "required": ["name"],
}
ser_json = JSONSerializer(json.dumps(PERSON), registry)
send(topics["json"], "person-1", ser_json({"name": "Grace", "age": 85, "big": 12345678901234567}, ctx(topics["json"])))

producer.flush(30)
print(json.dumps({"topics": topics, "ids": ids}))
