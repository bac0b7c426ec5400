/**
 * Decimal integers stored four digits at a time: one table lookup and one unaligned 32-bit store
 * through a DataView per four digits, where digits.ts writes byte by byte with a division per two
 * digits. The jsonl and csv rows are mostly numbers: on getppid jsonl the time alone took ~45 ns
 * of a ~150 ns row byte by byte (benchmarks/output-micro.ts).
 *
 * A store writes a whole word even when fewer digits are due: up to WORD_SLACK bytes past the
 * returned position are overwritten, which the rest of the row overwrites in turn. The writer
 * reserves that much room past its bound (see EventWriter).
 */
import { writeUint64 } from './digits.js';

/** Bytes a store may write past the digits it returns the end of. */
export const WORD_SLACK = 3;

/** "0000".."9999": the four ASCII digits of n < 10000, as a little-endian word. */
const QUADS = new Uint32Array(10000);
/** The digits of n < 10000 without leading zeros, from the word's first byte; their count in SHORT_LENGTH. */
const SHORT = new Uint32Array(10000);
const SHORT_LENGTH = new Uint8Array(10000);
/** The ASCII bytes of `digits` (at most four) as a little-endian word. */
function wordOf(digits: string): number {
  let word = 0;
  for (let k = 0; k < digits.length; k++) word += digits.charCodeAt(k) * 2 ** (8 * k);
  return word;
}
for (let n = 0; n < 10000; n++) {
  const text = String(n);
  QUADS[n] = wordOf(text.padStart(4, '0'));
  SHORT[n] = wordOf(text);
  SHORT_LENGTH[n] = text.length;
}

const TWO_32 = 4294967296;
/** Values whose high half is below this fit in 2^53: a double holds them exactly. */
const SAFE_HIGH = 0x200000;

/** Stores n, an integer 0 <= n < 2^32. */
export function storeUint32(d: DataView, p: number, n: number): number {
  if (n < 10000) {
    d.setUint32(p, SHORT[n]!, true);
    return p + SHORT_LENGTH[n]!;
  }
  if (n < 100000000) {
    const high = (n / 10000) >>> 0;
    d.setUint32(p, SHORT[high]!, true);
    p += SHORT_LENGTH[high]!;
    d.setUint32(p, QUADS[n - high * 10000]!, true);
    return p + 4;
  }
  const top = (n / 100000000) >>> 0; // 1..42
  return storeEight(d, p + storeShort(d, p, top), n - top * 100000000);
}

/** Stores n, an integer -2^31 <= n < 2^32 (any Int8..Uint32 value). */
export function storeInt32(d: DataView, p: number, n: number): number {
  if (n >= 0) return storeUint32(d, p, n);
  d.setUint8(p, 45); // '-'
  return storeUint32(d, p + 1, -n);
}

/** Stores n < 10000 without leading zeros; returns how many digits that is. */
function storeShort(d: DataView, p: number, n: number): number {
  d.setUint32(p, SHORT[n]!, true);
  return SHORT_LENGTH[n]!;
}

/** Stores n, 0 <= n < 10^8, as exactly eight digits (leading zeros). */
function storeEight(d: DataView, p: number, n: number): number {
  const high = (n / 10000) >>> 0;
  d.setUint32(p, QUADS[high]!, true);
  d.setUint32(p + 4, QUADS[n - high * 10000]!, true);
  return p + 8;
}

/** Stores v, an integer 0 <= v < 2^53 (split at 10^8: a double holds both parts exactly). */
function storeUint53(d: DataView, p: number, v: number): number {
  if (v < TWO_32) return storeUint32(d, p, v);
  const top = Math.floor(v / 100000000);
  const rest = v - top * 100000000;
  // The division may round up to the next integer; the remainder then says so (and is exact).
  if (rest < 0) return storeEight(d, storeUint32(d, p, top - 1), rest + 100000000);
  return storeEight(d, storeUint32(d, p, top), rest);
}

/** Stores the unsigned 64-bit value high · 2^32 + low (beyond 2^53 through a BigInt, into `o`). */
export function storeUint64(o: Uint8Array, d: DataView, p: number, low: number, high: number): number {
  if (high < SAFE_HIGH) return storeUint53(d, p, high * TWO_32 + low);
  return writeUint64(o, p, low, high);
}

/** Stores the signed (two's complement) 64-bit value whose halves are `low` and `high`. */
export function storeInt64(o: Uint8Array, d: DataView, p: number, low: number, high: number): number {
  if (high < 0x80000000) return storeUint64(o, d, p, low, high);
  // Negative: '-' and the magnitude, the two's complement of the halves.
  d.setUint8(p, 45);
  const magnitudeLow = (~low + 1) >>> 0;
  const magnitudeHigh = (~high + (magnitudeLow === 0 ? 1 : 0)) >>> 0;
  return storeUint64(o, d, p + 1, magnitudeLow, magnitudeHigh);
}

/**
 * Stores unsigned 64-bit values that mostly share their leading digits with the value before
 * (timestamps: the digits above the last eight change every 0.1 s). The multiple of 10^8 below
 * the last value is kept, so a value in the same 10^8 needs no division by it.
 */
export class LeadingDigits {
  /** The value's digits above the last eight, and that times 10^8; -1 before the first value. */
  private top = -1;
  private base = -1;

  /** Stores the unsigned 64-bit value high · 2^32 + low. */
  write(o: Uint8Array, d: DataView, p: number, low: number, high: number): number {
    if (high >= SAFE_HIGH) return writeUint64(o, p, low, high);
    const v = high * TWO_32 + low;
    if (v < 100000000) return storeUint32(d, p, v);
    let rest = v - this.base;
    if (this.base < 0 || rest < 0 || rest >= 100000000) {
      let top = Math.floor(v / 100000000);
      if (v - top * 100000000 < 0) top--; // the division rounded up
      this.top = top;
      this.base = top * 100000000;
      rest = v - this.base;
    }
    return storeEight(d, storeUint32(d, p, this.top), rest >>> 0);
  }
}
