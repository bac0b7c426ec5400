/**
 * The shape of the column each field decodes to (see compile-columns.ts), as the code that reads
 * columns needs it: the output serializers and the aggregations.
 */
import type { ScalarType } from './c-types.js';
import type { FormatField } from './format.js';

/**
 * How a field's column is read: `int` a typed array of up to 32-bit integers, `int64` a
 * BigInt64Array or BigUint64Array, `bool` a Uint8Array of 0/1, `string` a StringColumn,
 * `elements` a BytesColumn of `element`s (raw bytes: unsigned bytes).
 */
export type ColumnShape =
  | { kind: 'int'; signed: boolean; size: 1 | 2 | 4 }
  | { kind: 'int64'; signed: boolean }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'elements'; element: ScalarType };

const BYTE: ScalarType = { size: 1, signed: false };

/** The shape of the column `field` decodes to. */
export function columnShape(field: FormatField): ColumnShape {
  const d = field.decoding;
  switch (d.kind) {
    case 'int':
      return d.size === 8 ? { kind: 'int64', signed: d.signed } : { kind: 'int', signed: d.signed, size: d.size };
    case 'bool':
      return { kind: 'bool' };
    case 'chars':
      return { kind: 'string' };
    case 'array':
      return { kind: 'elements', element: d.element };
    case 'bytes':
      return { kind: 'elements', element: BYTE };
    case 'dynamic':
    case 'flexible':
      return d.text ? { kind: 'string' } : { kind: 'elements', element: d.element ?? BYTE };
  }
}
