/**
 * Generated values of tracepoint fields, written into raw record data the way the kernel lays them
 * out, with the value each must decode to. Expected values are read back with Buffer's own readers,
 * an implementation independent of the decoders' DataView code. Decoded values of both walkers
 * convert to the same comparable form.
 */
import fc from 'fast-check';

import { BytesColumn, type Column, StringColumn } from '../../../src/decode/columns.js';
import type { FormatField } from '../../../src/decode/format.js';

/** A decoded value in a form both decoders' output converts to; bytes as hex. */
export type Comparable = number | bigint | boolean | string | { bytes: string };

/** Bytes of one field: the fixed part at the field's offset, and for `__data_loc` the data behind it. */
export interface FieldContent {
  /** Bytes at the field's offset (for a dynamic field the data itself; its loc word is computed). */
  bytes: Uint8Array;
}

/** Generated contents of a field of the given decoding (dynamic data: 0..40 bytes before the NUL). */
export function fieldContent(field: FormatField): fc.Arbitrary<FieldContent> {
  const d = field.decoding;
  if (d.kind === 'dynamic') {
    // Text stops at its first NUL; random bytes include NULs and invalid UTF-8 on purpose.
    return fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ bytes }));
  }
  return fc.uint8Array({ minLength: field.size, maxLength: field.size }).map((bytes) => ({ bytes }));
}

function text(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.toString('utf8', 0, nul < 0 ? bytes.length : nul);
}

/** The value `content` must decode to. */
export function expectedValue(field: FormatField, content: FieldContent): Comparable {
  const bytes = Buffer.from(content.bytes);
  const d = field.decoding;
  switch (d.kind) {
    case 'int':
      if (d.size === 8) return d.signed ? bytes.readBigInt64LE(0) : bytes.readBigUInt64LE(0);
      return d.signed ? bytes.readIntLE(0, d.size) : bytes.readUIntLE(0, d.size);
    case 'bool':
      return bytes[0] !== 0;
    case 'chars':
      return text(bytes);
    case 'dynamic':
      return d.text ? text(bytes) : { bytes: bytes.toString('hex') };
    default:
      return { bytes: bytes.toString('hex') };
  }
}

/** The value a field has when its record cannot supply it (too short, or its data lies outside). */
export function emptyValue(field: FormatField): Comparable {
  const d = field.decoding;
  switch (d.kind) {
    case 'int':
      return d.size === 8 ? 0n : 0;
    case 'bool':
      return false;
    case 'chars':
      return '';
    case 'dynamic':
      return d.text ? '' : { bytes: '' };
    default:
      return { bytes: '' };
  }
}

/** Whether a field's data lives behind a `__data_loc` / `__rel_loc` word. */
export function isDynamic(field: FormatField): boolean {
  return field.decoding.kind === 'dynamic';
}

/**
 * Raw data holding `contents`: the fixed part up to the format's end, then each dynamic field's
 * data, pointed at by its loc word (`__rel_loc` counts from the end of its own word).
 */
export function encodeRaw(fields: readonly FormatField[], contents: readonly FieldContent[]): Buffer {
  const fixedSize = fields.reduce((end, field) => Math.max(end, field.offset + field.size), 8);
  const tails: Buffer[] = [];
  let tailOffset = fixedSize;
  const fixed = Buffer.alloc(fixedSize);
  fields.forEach((field, i) => {
    const bytes = Buffer.from(contents[i]!.bytes);
    const d = field.decoding;
    if (d.kind !== 'dynamic') {
      bytes.copy(fixed, field.offset);
      return;
    }
    // The kernel ends strings with a NUL (counted in the length); arrays have none.
    const data = d.text ? Buffer.concat([bytes, Buffer.alloc(1)]) : bytes;
    const offset = d.relative ? tailOffset - (field.offset + 4) : tailOffset;
    fixed.writeUInt32LE(((data.length << 16) | offset) >>> 0, field.offset);
    tails.push(data);
    tailOffset += data.length;
  });
  return Buffer.concat([fixed, ...tails]);
}

/** A decoded object field as a comparable value. */
export function objectComparable(value: unknown): Comparable {
  if (ArrayBuffer.isView(value)) {
    // Decoders copy arrays into their own buffer, which holds every byte (a typed array's view may
    // end before a partial last element).
    return { bytes: Buffer.from(value.buffer as ArrayBuffer).toString('hex') };
  }
  return value as Comparable;
}

/** Row `row` of a column as a comparable value; `field` tells a 0/1 bool column from a number. */
export function columnComparable(field: FormatField, column: Column, row: number): Comparable {
  if (column instanceof StringColumn) return column.get(row);
  if (column instanceof BytesColumn) return { bytes: Buffer.from(column.get(row)).toString('hex') };
  const value = column[row]!;
  return field.decoding.kind === 'bool' ? value !== 0 : value;
}
