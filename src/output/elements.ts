/**
 * Array fields (fixed arrays, `__data_loc` arrays, unknown bytes) into an output buffer: the
 * column holds the raw little-endian bytes; each element is written in decimal, as the decoded
 * object's typed array holds it (trailing bytes that make no whole element are left out, as there).
 */
import type { ScalarType } from '../decode/c-types.js';
import { writeInt32, writeInt64, writeUint32, writeUint64 } from './digits.js';

/**
 * Writes the elements in bytes [from, to) of `data`, separated by the byte `separator`: at most 5
 * bytes per input byte (an Int8 element "-128" and its separator), within the ESCAPE_EXPANSION
 * the writer reserves per byte of string and array data.
 */
export function writeElements(
  o: Uint8Array,
  p: number,
  data: Uint8Array,
  from: number,
  to: number,
  type: ScalarType,
  separator: number,
): number {
  const size = type.size;
  const end = to - ((to - from) % size);
  for (let i = from; i < end; i += size) {
    if (i > from) o[p++] = separator;
    switch (size) {
      case 1: {
        const b = data[i]!;
        p = writeInt32(o, p, type.signed && b >= 0x80 ? b - 0x100 : b);
        break;
      }
      case 2: {
        const h = data[i]! | (data[i + 1]! << 8);
        p = writeInt32(o, p, type.signed && h >= 0x8000 ? h - 0x10000 : h);
        break;
      }
      case 4: {
        const w = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
        p = type.signed ? writeInt32(o, p, w) : writeUint32(o, p, w >>> 0);
        break;
      }
      case 8: {
        const low = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
        const high = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
        p = type.signed ? writeInt64(o, p, low, high) : writeUint64(o, p, low, high);
        break;
      }
    }
  }
  return p;
}
