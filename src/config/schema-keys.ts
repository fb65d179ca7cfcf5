/**
 * Constructors for the common kinds of schema keys, so that a key reads as one line: its doc,
 * its default as the file writes it, and its bounds. Keys with anything more (an environment
 * variable, nullable, a structured format) are written out in full in the schemas.
 */
import type convict from 'convict';
import { FORMAT, type FormatParams } from './formats.ts';
import type { EndpointAuthInput, TlsFilesInput } from './security-shapes.ts';

/** A duration: default as the file writes it ("5s"), bounds in milliseconds. */
export function duration(doc: string, defaultValue: string, params: FormatParams): convict.SchemaObj<string> {
  return { doc, format: FORMAT.duration, default: defaultValue, params } as convict.SchemaObj<string>;
}

export function integer(doc: string, defaultValue: number, params: FormatParams): convict.SchemaObj<number> {
  return { doc, format: FORMAT.integer, default: defaultValue, params } as convict.SchemaObj<number>;
}

export function boolean(doc: string, defaultValue: boolean): convict.SchemaObj<boolean> {
  return { doc, format: FORMAT.boolean, default: defaultValue };
}

/** One of `params.values`. */
export function oneOf<T extends string>(doc: string, defaultValue: T, params: { readonly values: readonly T[] }): convict.SchemaObj<T> {
  return { doc, format: FORMAT.oneOf, default: defaultValue, params } as convict.SchemaObj<T>;
}

/** TLS to an HTTP peer (an endpoint, the Schema Registry): PEM files, always verified. */
export function httpTls(peer: string): convict.SchemaObj<TlsFilesInput> {
  return {
    doc: `TLS to the ${peer}: { ca?, cert?, key?, servername? } (PEM files, absolute paths); {} = system CAs. Always verified.`,
    format: FORMAT.endpointTls,
    default: {},
  };
}

/** How the bridge authenticates to an HTTP peer; null (the key left out) is none. */
export function httpAuth(): convict.SchemaObj<EndpointAuthInput | null> {
  return {
    doc: 'none, or one of { bearer: { tokenFile } }, { basic: { username, password } }, { oauth2: { tokenUrl, clientId, clientSecret, scope?, audience?, authMethod? } }.',
    format: FORMAT.endpointAuth,
    default: null, // = none (see kafka.sasl)
    nullable: true,
  };
}
