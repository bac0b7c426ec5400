/** Integer test values shared by the digit writers' tests. */

/** The 32-bit halves (low, high) of the 64-bit two's complement of `value`. */
export function halves(value: bigint): [number, number] {
  const unsigned = BigInt.asUintN(64, value);
  return [Number(unsigned & 0xffffffffn), Number(unsigned >> 32n)];
}

/** Edge values around every power of ten and of two, plus random ones: all of 0 .. 2^64 - 1. */
export function integerSamples(): bigint[] {
  const values = new Set<bigint>([0n, 1n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 63n - 1n]);
  for (let k = 0n; k < 20n; k++) for (const d of [-1n, 0n, 1n]) values.add(10n ** k + d);
  for (let k = 0n; k < 64n; k++) for (const d of [-1n, 0n, 1n]) values.add(2n ** k + d);
  let seed = 12345n;
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
    values.add(seed >> BigInt(i % 64));
  }
  return [...values].filter((v) => v >= 0n && v < 2n ** 64n);
}
