/**
 * 64-bit column values read as two 32-bit words, without a bigint per row: a BigInt64Array element
 * read costs an allocation, a word read does not.
 */

const TWO_32 = 0x1_0000_0000;

/** The words of a 64-bit column (little-endian): row i's low word at 2i, high word at 2i + 1. */
export function wordsOf(column: BigInt64Array | BigUint64Array): Uint32Array {
  return new Uint32Array(column.buffer, column.byteOffset, column.length * 2);
}

/** The number of bits of the unsigned value `hi`·2³² + `lo` (0 for 0, 64 for 2⁶³ and above). */
export function bitLength64(lo: number, hi: number): number {
  return hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(lo);
}

/** The number of bits of a non-negative safe integer `value` (0 for 0). */
export function bitLength(value: number): number {
  return value < TWO_32 ? 32 - Math.clz32(value) : 64 - Math.clz32(Math.floor(value / TWO_32));
}

/** The low word of the two's complement negation of `hi`·2³² + `lo`. */
export function negatedLow(lo: number): number {
  return (~lo + 1) >>> 0;
}

/** The high word of the two's complement negation of `hi`·2³² + `lo`. */
export function negatedHigh(lo: number, hi: number): number {
  return (~hi + (lo === 0 ? 1 : 0)) >>> 0;
}

/** The value of words (`lo`, `hi`) as a bigint, signed when `signed` (rare rows only: it allocates). */
export function wordsToBigInt(lo: number, hi: number, signed: boolean): bigint {
  const value = (BigInt(hi) << 32n) | BigInt(lo);
  return signed && hi >= 0x8000_0000 ? value - (1n << 64n) : value;
}

/** The words' value as decimal text; a number's text when it is a safe integer (no bigint then). */
export function wordsToText(lo: number, hi: number, signed: boolean): string {
  if (hi < 0x20_0000) return String(hi * TWO_32 + lo);
  if (signed && hi >= 0xffe0_0000) return String(-(negatedHigh(lo, hi) * TWO_32 + negatedLow(lo)));
  return wordsToBigInt(lo, hi, signed).toString();
}

/** The words' value as a number when it is a safe integer, else as decimal text. */
export function wordsToNumber(lo: number, hi: number, signed: boolean): number | string {
  if (hi < 0x20_0000) return hi * TWO_32 + lo;
  if (signed && hi >= 0xffe0_0000) return -(negatedHigh(lo, hi) * TWO_32 + negatedLow(lo));
  return wordsToBigInt(lo, hi, signed).toString();
}
