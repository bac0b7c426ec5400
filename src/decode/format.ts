/**
 * Parsing tracefs `format` files into field layouts. Never throws on a kernel's text: a line it
 * does not understand is listed in `unparsed`, a field it does not understand decodes as bytes.
 */
import { type ScalarType, isCharType, scalarType } from './c-types.js';

/** How a field's bytes turn into a value. */
export type FieldDecoding =
  /** An integer of 1, 2, 4 or 8 bytes: up to 32 bits a number, 64 bits a bigint. */
  | { kind: 'int'; size: 1 | 2 | 4 | 8; signed: boolean }
  /** A C `bool`: a boolean. */
  | { kind: 'bool' }
  /** `char name[N]`: a string up to the first NUL. */
  | { kind: 'chars'; size: number }
  /** A fixed array of scalars: a typed array. */
  | { kind: 'array'; element: ScalarType; count: number }
  /**
   * `__data_loc T[] name` (offset from the record start) or `__rel_loc` (offset from the end of
   * this field) with a 16-bit offset and 16-bit length; char data decodes as a string.
   * `element` undefined means an element type we do not know: raw bytes.
   */
  | { kind: 'dynamic'; relative: boolean; text: boolean; element?: ScalarType | undefined }
  /** `T name[]` with size 0: the elements run from the field's offset to the record's end. */
  | { kind: 'flexible'; text: boolean; element?: ScalarType | undefined }
  /** Anything else: a Uint8Array of the field's bytes. */
  | { kind: 'bytes'; size: number };

/** One `field:` line of a format file. */
export interface FormatField {
  /** The field's name, the key of `fields` in decoded events. */
  name: string;
  /** The C type as written, without the name or array suffix (`__data_loc char[]`, `pid_t`). */
  cType: string;
  offset: number;
  size: number;
  signed: boolean;
  decoding: FieldDecoding;
}

/** A parsed `format` file. */
export interface EventFormat {
  name: string;
  id: number;
  /** The `common_*` fields every event starts with. */
  commonFields: FormatField[];
  /** The event's own fields. */
  fields: FormatField[];
  /** The `print fmt:` text. */
  printFormat: string;
  /** Lines that looked like fields but could not be read. */
  unparsed: string[];
}

const FIELD_LINE = /^\s*field:(.*?);\s*offset:(\d+);\s*size:(\d+);(?:\s*signed:(-?\d+);)?/;
const DECLARATION = /^(.*?)\s*\b([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*$/;

/** Parses the text of a tracefs `format` file. */
export function parseFormat(text: string): EventFormat {
  const format: EventFormat = { name: '', id: -1, commonFields: [], fields: [], printFormat: '', unparsed: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('name:')) format.name = line.slice(5).trim();
    else if (line.startsWith('ID:')) format.id = Number.parseInt(line.slice(3).trim(), 10);
    else if (line.startsWith('print fmt:')) format.printFormat = line.slice(10).trim();
    else if (/^\s*field:/.test(line)) {
      const field = parseFieldLine(line);
      if (field === undefined) format.unparsed.push(line.trim());
      else if (field.name.startsWith('common_')) format.commonFields.push(field);
      else format.fields.push(field);
    }
  }
  return format;
}

/** Parses one `field:...;offset:...;size:...;signed:...;` line, or returns undefined. */
export function parseFieldLine(line: string): FormatField | undefined {
  const match = FIELD_LINE.exec(line);
  if (!match) return undefined;
  const declaration = DECLARATION.exec(match[1]!.trim());
  if (!declaration) return undefined;
  const offset = Number(match[2]);
  const size = Number(match[3]);
  const signed = match[4] === '1';
  const cType = declaration[1]!.trim();
  const arrayLength = declaration[3];
  return {
    name: declaration[2]!,
    cType,
    offset,
    size,
    signed,
    decoding: decodingFor(cType, arrayLength, size, signed),
  };
}

function decodingFor(cType: string, arrayLength: string | undefined, size: number, signed: boolean): FieldDecoding {
  const dynamic = /^__(data|rel)_loc\s+(.*?)\s*(\[\s*\])?$/.exec(cType);
  if (dynamic) {
    if (size !== 4) return { kind: 'bytes', size };
    const elementType = dynamic[2]!;
    return {
      kind: 'dynamic',
      relative: dynamic[1] === 'rel',
      text: isCharType(elementType),
      element: scalarType(elementType),
    };
  }
  if (arrayLength !== undefined) {
    if (arrayLength.trim() === '' && size === 0) {
      return { kind: 'flexible', text: isCharType(cType), element: scalarType(cType) };
    }
    if (isCharType(cType)) return { kind: 'chars', size };
    const known = scalarType(cType);
    const declared = /^\s*\d+\s*$/.test(arrayLength) ? Number(arrayLength) : undefined;
    // The element size follows from the total when the length is a number; else from the type.
    const elementSize = declared ? size / declared : known?.size;
    if (elementSize === 1 || elementSize === 2 || elementSize === 4 || elementSize === 8) {
      if (size % elementSize === 0) {
        return {
          kind: 'array',
          element: { size: elementSize, signed: known?.signed ?? signed },
          count: size / elementSize,
        };
      }
    }
    return { kind: 'bytes', size };
  }
  const known = scalarType(cType);
  if (known?.size === 1 && /^(const\s+)?(bool|_Bool)$/.test(cType) && size === 1) return { kind: 'bool' };
  if (size === 1 || size === 2 || size === 4 || size === 8) return { kind: 'int', size, signed };
  return { kind: 'bytes', size };
}

/** Bytes a field needs inside the record (a flexible array needs none: it takes the rest). */
export function fieldEnd(field: FormatField): number {
  return field.decoding.kind === 'flexible' ? field.offset : field.offset + field.size;
}

/** Bytes of raw data a record needs for every field of `fields` to lie inside it. */
export function recordMinSize(fields: readonly FormatField[]): number {
  return fields.reduce((max, field) => Math.max(max, fieldEnd(field)), 0);
}

/**
 * Throws unless every offset and size is a safe non-negative integer. Decoders are generated
 * source, so a hand-built format must not be able to put anything else into it.
 */
export function assertNumericLayout(fields: readonly FormatField[]): void {
  for (const field of fields) {
    const d = field.decoding;
    const numbers = [
      field.offset,
      field.size,
      ...(d.kind === 'array' ? [d.count, d.element.size] : []),
      ...('size' in d ? [d.size] : []),
    ];
    if (!numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new TypeError(`field ${field.name}: offset, size and counts must be non-negative integers`);
    }
  }
}
