/**
 * Running generated code over synthetic input until V8 has optimised it: the loop the warm-ups of
 * the decoders (warm-up.ts) and of the output serializers (src/output/event-writer.ts) share.
 *
 * A long loop is optimised first in the middle of a call (on-stack replacement), while each new
 * call still starts in the interpreter until the function itself is compiled: a flood's first
 * real batches then took 10 ms where 0.6 ms was due. So once a whole pass runs optimised (at a
 * twentieth of the first, interpreted, pass), each is followed by a short one, until the short one
 * costs per item no more than SHORT_PASS_SLOWDOWN times what the whole one did. Between passes
 * the loop sleeps: V8 compiles on a thread of its own, and a process pinned to one CPU (as a
 * reader often is, beside the load it traces) must leave that CPU to it.
 */

/** How much faster than its first (interpreted) pass code runs once optimised: ~40x here. */
const OPTIMISED_SPEED_UP = 20;
/** Items of a short pass: enough that the call's own cost is small beside them. */
const SHORT_PASS_ITEMS = 256;
/** A short pass slower than this per item (than the whole pass) is not running optimised code yet. */
const SHORT_PASS_SLOWDOWN = 3;
/** Sleep between passes (ms), for the compiler thread; and what the sleep waits on. */
const COMPILER_PAUSE_MS = 1;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Calls `pass(items)`, which runs the code on the first `items` of `wholeItems` synthetic items,
 * until a fresh call runs optimised code or `until` (performance.now() ms) has passed. Returns the
 * whole passes' times (ms).
 */
export function warmUntilOptimised(pass: (items: number) => void, wholeItems: number, until: number): number[] {
  const timed = (items: number) => {
    const started = performance.now();
    pass(items);
    return performance.now() - started;
  };
  const times: number[] = [];
  const shortItems = Math.min(SHORT_PASS_ITEMS, wholeItems);
  while (performance.now() < until) {
    const whole = timed(wholeItems);
    times.push(whole);
    if (whole * OPTIMISED_SPEED_UP <= times[0]!) {
      const short = timed(shortItems);
      if (short / shortItems <= (SHORT_PASS_SLOWDOWN * whole) / wholeItems) break;
    }
    Atomics.wait(PAUSE, 0, 0, COMPILER_PAUSE_MS);
  }
  return times;
}
