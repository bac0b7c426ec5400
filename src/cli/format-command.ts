/**
 * `perf-bridge format EVENT`: each field of a tracepoint with the JavaScript type its value has in
 * the events a session delivers (as the decoders of decode/compile.ts build them), or, with `--ts`,
 * a TypeScript type to give `openSession<…>`.
 */
import type { ScalarType } from '../decode/c-types.js';
import { type EventFormat, type FieldDecoding, type FormatField, parseFormat } from '../decode/format.js';
import { parseEventName, readEventFormat } from '../tracefs/events.js';

/** The typed array readArray (decode/field-readers.ts) makes for elements of `element`. */
function typedArrayName(element: ScalarType | undefined): string {
  if (element === undefined) return 'Uint8Array';
  const sign = element.signed ? 'Int' : 'Uint';
  return element.size === 8 ? `Big${sign}64Array` : `${sign}${element.size * 8}Array`;
}

/** The JavaScript type of a field's value in a decoded event. */
export function javaScriptType(decoding: FieldDecoding): string {
  switch (decoding.kind) {
    case 'int':
      return decoding.size === 8 ? 'bigint' : 'number';
    case 'bool':
      return 'boolean';
    case 'chars':
      return 'string';
    case 'array':
      return typedArrayName(decoding.element);
    case 'bytes':
      return 'Uint8Array';
    case 'dynamic':
    case 'flexible':
      return decoding.text ? 'string' : typedArrayName(decoding.element);
  }
}

/** The C type as declared: `char[16]`, `unsigned long[6]`, `__data_loc char[]`. */
function declaredType(field: FormatField): string {
  const d = field.decoding;
  if (d.kind === 'chars') return `${field.cType}[${d.size}]`;
  if (d.kind === 'array') return `${field.cType}[${d.count}]`;
  if (d.kind === 'flexible') return `${field.cType}[]`;
  return field.cType;
}

/** The fields as a table: name, JavaScript type, C type, offset, size. */
export function fieldTable(format: Pick<EventFormat, 'fields'>): string {
  const header = ['FIELD', 'JS TYPE', 'C TYPE', 'OFFSET', 'SIZE'];
  const rows = format.fields.map((field) => [
    field.name,
    javaScriptType(field.decoding),
    declaredType(field),
    String(field.offset),
    String(field.size),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [header, ...rows].map((row) => `${line(row)}\n`).join('');
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A TypeScript property key: the name itself when it is an identifier, else a quoted string. */
function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A field map for `openSession<…>`: `{ 'group:name': { field: type; … } }`. */
export function typeScriptType(eventName: string, format: Pick<EventFormat, 'fields'>): string {
  const fields = format.fields.map((field) => `    ${propertyKey(field.name)}: ${javaScriptType(field.decoding)};\n`);
  return `{\n  ${propertyKey(eventName)}: {\n${fields.join('')}  };\n}\n`;
}

/** The output of `format EVENT` (`--ts`: the TypeScript type). Throws for an event that does not exist. */
export function formatCommandOutput(event: string, typescript: boolean): string {
  const name = parseEventName(event);
  const format = parseFormat(readEventFormat(name));
  const canonical = `${name.group}:${name.name}`;
  return typescript ? typeScriptType(canonical, format) : fieldTable(format);
}
