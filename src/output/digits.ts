/**
 * Writing integers as decimal digits straight into an output buffer: cheaper than String(n) and a
 * copy of the string. Every writer takes the buffer and the position to write at and returns the
 * position after what it wrote; the caller has made room (see EventWriter's bound per batch).
 * 64-bit values come as two unsigned 32-bit halves (low, high), read from a Uint32Array view of
 * the BigInt column, so no BigInt is made unless the value is beyond 2^53.
 */

/** "00".."99": two digits per table lookup. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

const TWO_32 = 4294967296;
/** Values whose high half is below this fit in 2^53: a double holds them exactly. */
const SAFE_HIGH = 0x200000;

/** How many decimal digits n has, 0 <= n < 2^32. */
export function digitCount(n: number): number {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
}

/** Writes n, an integer 0 <= n < 2^32. */
export function writeUint32(o: Uint8Array, p: number, n: number): number {
  const end = p + digitCount(n);
  let i = end;
  while (n >= 100) {
    const q = (n / 100) >>> 0;
    const r = (n - q * 100) << 1;
    o[--i] = PAIRS[r + 1]!;
    o[--i] = PAIRS[r]!;
    n = q;
  }
  if (n >= 10) {
    o[--i] = PAIRS[(n << 1) + 1]!;
    o[--i] = PAIRS[n << 1]!;
  } else {
    o[--i] = 48 + n;
  }
  return end;
}

/** Writes n, an integer -2^31 <= n < 2^32 (any Int8..Uint32 value). */
export function writeInt32(o: Uint8Array, p: number, n: number): number {
  if (n < 0) {
    o[p++] = 45; // '-'
    n = -n;
  }
  return writeUint32(o, p, n);
}

/** Writes v, an integer 0 <= v <= 2^53. */
function writeUint53(o: Uint8Array, p: number, v: number): number {
  if (v < TWO_32) return writeUint32(o, p, v);
  const low = v % 100000000; // exact: both are integers below 2^53
  p = writeUint32(o, p, (v - low) / 100000000);
  return writeFixedDigits(o, p, low, 8);
}

/** Writes `text`, which is ASCII, byte by byte. */
export function writeAscii(o: Uint8Array, p: number, text: string): number {
  for (let i = 0; i < text.length; i++) o[p++] = text.charCodeAt(i);
  return p;
}

/** Writes the unsigned 64-bit value high · 2^32 + low. */
export function writeUint64(o: Uint8Array, p: number, low: number, high: number): number {
  if (high < SAFE_HIGH) return writeUint53(o, p, high * TWO_32 + low);
  return writeAscii(o, p, ((BigInt(high) << 32n) | BigInt(low)).toString());
}

/** Writes the signed (two's complement) 64-bit value whose halves are `low` and `high`. */
export function writeInt64(o: Uint8Array, p: number, low: number, high: number): number {
  if (high < 0x80000000) return writeUint64(o, p, low, high);
  // Negative: write '-' and the magnitude, the two's complement of the halves.
  o[p++] = 45;
  const magnitudeLow = (~low + 1) >>> 0;
  const magnitudeHigh = (~high + (magnitudeLow === 0 ? 1 : 0)) >>> 0;
  return writeUint64(o, p, magnitudeLow, magnitudeHigh);
}

/** Most bytes a 64-bit integer takes in decimal ("-9223372036854775808", "18446744073709551615"). */
export const MAX_INT64_BYTES = 20;

/** Most bytes an integer of `size` bytes takes in decimal, sign included. */
export function maxIntBytes(size: 1 | 2 | 4 | 8): number {
  return size === 1 ? 4 : size === 2 ? 6 : size === 4 ? 11 : MAX_INT64_BYTES;
}

/** Writes n, 0 <= n < 10^count (count even), as exactly `count` digits (leading zeros). */
function writeFixedDigits(o: Uint8Array, p: number, n: number, count: number): number {
  for (let i = p + count - 2; i >= p; i -= 2) {
    const q = (n / 100) >>> 0;
    const r = (n - q * 100) << 1;
    o[i] = PAIRS[r]!;
    o[i + 1] = PAIRS[r + 1]!;
    n = q;
  }
  return p + count;
}

/**
 * Writes `ns` nanoseconds as seconds with six decimals (microseconds, truncated toward zero as
 * `perf script` does), right-aligned in `width` columns: `    12.345678`. `ns` is an exact
 * integer, |ns| <= 2^53.
 */
export function writeSeconds(o: Uint8Array, p: number, ns: number, width: number): number {
  const negative = ns < 0;
  const magnitude = negative ? -ns : ns;
  const micros = (magnitude - (magnitude % 1000)) / 1000;
  const fraction = micros % 1000000;
  const seconds = (micros - fraction) / 1000000; // below 2^53 / 10^9: a uint32
  const used = (negative ? 1 : 0) + digitCount(seconds) + 7;
  for (let pad = used; pad < width; pad++) o[p++] = 32;
  if (negative) o[p++] = 45;
  p = writeUint32(o, p, seconds);
  o[p++] = 46; // '.'
  return writeFixedDigits(o, p, fraction, 6);
}
