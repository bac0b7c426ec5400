/**
 * Bounds-checked readers the generated decoders call for variable-length values. Each takes the
 * record's raw data as [start, end) of the batch and never reads outside it.
 */
import type { ScalarType } from './c-types.js';
import type { StringCache } from './string-cache.js';

/** Counts decode errors of one event; the generated decoder increments it. */
export interface DecodeErrorCounter {
  count: number;
}

/**
 * Decodes bytes [from, to) as UTF-8 up to the first NUL, scanning four bytes at a time for the NUL
 * and for bytes that need UTF-8 decoding (most kernel strings are ASCII: latin1 is faster).
 * `view` is a DataView on the same memory as `bytes`, with the same offsets.
 */
export function readText(bytes: Buffer, view: DataView, from: number, to: number): string {
  let end = from;
  let high = 0;
  for (; end + 4 <= to; end += 4) {
    const word = view.getInt32(end, true);
    if (((word - 0x01010101) & ~word & 0x80808080) !== 0) break; // one of its bytes is 0
    high |= word;
  }
  for (let byte; end < to && (byte = bytes[end]!) !== 0; end++) high |= byte;
  if (end === from) return '';
  return (high & 0x80808080) === 0 ? bytes.toString('latin1', from, end) : bytes.toString('utf8', from, end);
}

type TypedArrayOf =
  Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** Copies `count` elements of a scalar type starting at `from` into a new typed array. */
export function readArray(
  bytes: Buffer,
  from: number,
  byteLength: number,
  element: ScalarType | undefined,
): TypedArrayOf {
  // A copy, because the batch buffer is reused; slice() also gives the alignment typed arrays need.
  const copy = bytes.buffer.slice(bytes.byteOffset + from, bytes.byteOffset + from + byteLength);
  if (element === undefined) return new Uint8Array(copy);
  const whole = Math.floor(byteLength / element.size);
  switch (element.size) {
    case 1:
      return element.signed ? new Int8Array(copy, 0, whole) : new Uint8Array(copy, 0, whole);
    case 2:
      return element.signed ? new Int16Array(copy, 0, whole) : new Uint16Array(copy, 0, whole);
    case 4:
      return element.signed ? new Int32Array(copy, 0, whole) : new Uint32Array(copy, 0, whole);
    case 8:
      return element.signed ? new BigInt64Array(copy, 0, whole) : new BigUint64Array(copy, 0, whole);
  }
}

/**
 * A resolved `__data_loc` value packs its offset from the record start and its length into one
 * number, so the generated decoders allocate nothing per field: offset · 2^18 + length. Both lie
 * inside a record (below 2^16 bytes), so the result stays an exact integer.
 */
const LENGTH_SPAN = 0x40000;

/** The offset from the record start of a value {@link resolveDynamic} located. */
export function dynamicOffset(location: number): number {
  return Math.floor(location / LENGTH_SPAN);
}

/** The length in bytes of a value {@link resolveDynamic} located. */
export function dynamicLength(location: number): number {
  return location % LENGTH_SPAN;
}

/**
 * Resolves a `__data_loc` / `__rel_loc` word at `fieldOffset` into the location of its value
 * (see {@link dynamicOffset}), or returns -1 (after counting an error) when it points outside the
 * record.
 */
export function resolveDynamic(
  view: DataView,
  start: number,
  size: number,
  fieldOffset: number,
  relative: boolean,
  errors: DecodeErrorCounter,
): number {
  const loc = view.getUint32(start + fieldOffset, true);
  const length = loc >>> 16;
  const offset = (loc & 0xffff) + (relative ? fieldOffset + 4 : 0);
  if (offset + length > size) {
    errors.count++;
    return -1;
  }
  return offset * LENGTH_SPAN + length;
}

/**
 * The text a `__data_loc` / `__rel_loc` word at `fieldOffset` names in the record [start, start +
 * size), up to its first NUL, through `strings`; '' (after counting an error) when it points
 * outside the record, as {@link resolveDynamic} checks.
 */
export function dynamicText(
  strings: StringCache,
  bytes: Buffer,
  view: DataView,
  start: number,
  size: number,
  fieldOffset: number,
  relative: boolean,
  errors: DecodeErrorCounter,
): string {
  const location = resolveDynamic(view, start, size, fieldOffset, relative, errors);
  if (location < 0) return '';
  const from = start + dynamicOffset(location);
  return strings.text(bytes, view, from, from + dynamicLength(location));
}

/** The elements a resolved `__data_loc` names in the record at `start` (none for -1). */
export function readDynamicArray(
  bytes: Buffer,
  start: number,
  location: number,
  element: ScalarType | undefined,
): TypedArrayOf {
  if (location < 0) return readArray(bytes, 0, 0, element);
  return readArray(bytes, start + dynamicOffset(location), dynamicLength(location), element);
}
