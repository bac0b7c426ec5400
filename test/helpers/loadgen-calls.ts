/** The arguments the load generator passes to pb_target in call i (mirrors pb_label / pb_value in loadgen.c). */

/** The label of call i. */
export function callLabel(i: number): string {
  return i % 7 === 0 ? `item-${i % 1000}/with-a-longer-tail-${i}` : `item-${i % 1000}`;
}

/** The value of call i. */
export function callValue(i: number): bigint {
  return BigInt(i % 2 === 0 ? i * 3 : -i);
}

/** pb_target's return value after call i: the running sum of value + the label's first byte. */
export function* callReturns(count: number): Generator<bigint> {
  let sink = 0n;
  for (let i = 0; i < count; i++) {
    sink += callValue(i) + BigInt(callLabel(i).charCodeAt(0));
    // C long arithmetic wraps at 64 bits; these sums stay far below that.
    yield sink;
  }
}
