/**
 * What a single request carries, per `routes[].payload`:
 *
 *   raw                     the record value, byte for byte (no header added)
 *   envelope                the JSON envelope of envelope.ts, content-type application/json
 *   cloudevents-binary      the value as the event's data, attributes as ce-* headers
 *   cloudevents-structured  the whole event as JSON, application/cloudevents+json
 *
 * The bridge's own headers (coordinates, idempotency-key, auth, signing) go with every mode.
 */
import type { RouteConfig } from '../config/types.ts';
import type { BridgeRecord } from '../kafka/record.ts';
import { binaryBody, binaryHeaders, structuredBody, toCloudEvent } from './cloudevents.ts';
import { encodeEnvelope } from './envelope.ts';

export interface Payload {
  readonly body: Buffer;
  /** Headers the payload mode adds, flat: name, value, name, value. */
  readonly headers: readonly string[];
}

/** Builds a record's payload; undefined for `raw`, whose body is the value and adds nothing. */
export type PayloadBuilder = (record: BridgeRecord) => Payload;

const JSON_TYPE = ['content-type', 'application/json'];
const STRUCTURED_TYPE = ['content-type', 'application/cloudevents+json; charset=utf-8'];

export function payloadBuilder(route: RouteConfig, sourceHost: string): PayloadBuilder | undefined {
  const settings = route.cloudEvents;
  switch (route.payload) {
    case 'raw':
      return undefined;
    case 'envelope': {
      const forward = new Set(route.forwardHeaders);
      return (record) => ({ body: Buffer.from(encodeEnvelope(record, forward), 'utf8'), headers: JSON_TYPE });
    }
    case 'cloudevents-binary':
      return (record) => {
        const event = toCloudEvent(record, settings, sourceHost);
        return { body: binaryBody(event), headers: binaryHeaders(event) };
      };
    case 'cloudevents-structured':
      return (record) => ({ body: structuredBody(toCloudEvent(record, settings, sourceHost)), headers: STRUCTURED_TYPE });
  }
}
