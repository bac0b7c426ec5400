/** What an aggregation needs to know about a field of the traced events: where it is and its kind. */
import { columnShape } from '../decode/column-shape.js';
import type { EventFormat, FormatField } from '../decode/format.js';
import { AggregationError, didYouMean, listNames } from './errors.js';

/**
 * How a field's column reads: `small` a typed array of numbers (integers up to 32 bits, bools),
 * `wide` a 64-bit integer column, `string` a StringColumn, `bytes` a BytesColumn.
 */
export type FieldKind = 'small' | 'wide' | 'string' | 'bytes';

/** The kind of column the decoder makes for `field` (see columnShape). */
export function fieldKind(field: FormatField): FieldKind {
  const shape = columnShape(field).kind;
  return shape === 'int64' ? 'wide' : shape === 'string' ? 'string' : shape === 'elements' ? 'bytes' : 'small';
}

/** `field`'s type as a user reads it: `s64`, `string (__data_loc char[])`, `bytes (u8[16])`. */
export function describeType(field: FormatField): string {
  const kind = fieldKind(field);
  if (kind === 'string') return `a string (${field.cType})`;
  if (kind === 'bytes') return `bytes (${field.cType})`;
  return `an integer (${field.cType})`;
}

/** Every event's format that has a field `name`, by event name. */
export function formatsWithField(name: string, formats: ReadonlyMap<string, EventFormat>): Map<string, FormatField> {
  const found = new Map<string, FormatField>();
  for (const [event, format] of formats) {
    const field = format.fields.find((f) => f.name === name);
    if (field !== undefined) found.set(event, field);
  }
  return found;
}

/** The names of every field of every traced event, each once, sorted. */
export function allFieldNames(formats: ReadonlyMap<string, EventFormat>): string[] {
  const names = new Set<string>();
  for (const format of formats.values()) for (const field of format.fields) names.add(field.name);
  return [...names].sort();
}

/** Throws unless `event` is traced; `role` says what it was given for (`latency entry`). */
export function requireEvent(event: string, formats: ReadonlyMap<string, EventFormat>, role: string): EventFormat {
  const format = formats.get(event);
  if (format !== undefined) return format;
  const traced = [...formats.keys()].sort();
  throw new AggregationError(`${role}: event '${event}' is not traced`, {
    subject: event,
    hint: `${didYouMean(event, traced)}traced events: ${listNames(traced) || 'none'}`,
  });
}
