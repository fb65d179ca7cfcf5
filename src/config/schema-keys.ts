/**
 * Constructors for the common kinds of schema keys, so that a key reads as one line: its doc,
 * its default as the file writes it, and its bounds. Keys with anything more (an environment
 * variable, nullable, a structured format) are written out in full in the schemas.
 */
import type convict from 'convict';
import { FORMAT, type FormatParams } from './formats.ts';

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
