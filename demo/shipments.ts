/**
 * The demo's Avro topic: a shipment per order, encoded as Confluent's Avro serializer would
 * (magic byte 0, schema id, Avro binary), and the tiny Schema Registry that serves its one
 * schema on the address config/demo.yaml names. A real deployment points schemaRegistry.url
 * at its registry; the demo needs no Java for one schema.
 */
import { createServer, type Server } from 'node:http';
import avro from 'avsc';
import type { Order } from './producer.ts';

export const SHIPMENT_SCHEMA_ID = 1;
export const SHIPMENT_SUBJECT = 'shipments-value';
const SCHEMA = {
  type: 'record',
  name: 'Shipment',
  namespace: 'shop',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'customerId', type: 'string' },
    { name: 'shippedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'carrier', type: { type: 'enum', name: 'Carrier', symbols: ['POST', 'COURIER', 'PICKUP'] } },
    { name: 'trackingCode', type: ['null', 'string'], default: null },
    { name: 'weight', type: { type: 'bytes', logicalType: 'decimal', precision: 8, scale: 3 } },
  ],
};
const type = avro.Type.forSchema(SCHEMA as avro.Schema);

/** A shipment for `order`, framed for the registry's schema id. */
export function shipmentRecord(order: Order): Buffer {
  const grams = 250 + (order.seq % 7) * 125;
  const weight = Buffer.alloc(4);
  weight.writeInt32BE(grams);
  const body = type.toBuffer({
    orderId: order.id,
    customerId: order.customerId,
    shippedAt: Date.parse(order.createdAt),
    carrier: ['POST', 'COURIER', 'PICKUP'][order.seq % 3],
    trackingCode: order.seq % 3 === 2 ? null : `TRK${String(order.seq).padStart(8, '0')}`,
    weight,
  });
  const header = Buffer.alloc(5);
  header.writeUInt32BE(SHIPMENT_SCHEMA_ID, 1);
  return Buffer.concat([header, body]);
}

/** The Confluent API calls the bridge makes, for the demo's one schema. */
export async function startDemoRegistry(host: string, port: number): Promise<Server> {
  const answers: Record<string, unknown> = {
    [`/schemas/ids/${SHIPMENT_SCHEMA_ID}`]: { schema: JSON.stringify(SCHEMA) },
    [`/schemas/ids/${SHIPMENT_SCHEMA_ID}/versions`]: [{ subject: SHIPMENT_SUBJECT, version: 1 }],
    '/subjects': [SHIPMENT_SUBJECT],
  };
  const server = createServer((req, res) => {
    const answer = answers[(req.url ?? '').split('?')[0]!];
    res.writeHead(answer === undefined ? 404 : 200, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    res.end(JSON.stringify(answer ?? { error_code: 40403, message: 'Schema not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
