/** Putting captured events back in the order they happened. */

/**
 * Orders by `time`, for `sort()`. Batches follow ring order, one ring per CPU, so the events of a
 * thread that moved between CPUs arrive out of time order; sorted, they are in call order.
 */
export function byTime(a: { readonly time: bigint }, b: { readonly time: bigint }): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}
