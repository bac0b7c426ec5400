/** A timeout of any length: Node's timers fire after 1 ms when asked for more than 2^31 - 1 ms. */

/** The longest delay one Node timer takes (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `callback` once `ms` milliseconds have passed, chaining timers of at most `maxTimerMs`
 * (a parameter only so that tests can see the chain) for longer delays. The deadline is kept on the
 * monotonic clock, so the chain does not drift. Returns the function that cancels it.
 */
export function setLongTimeout(callback: () => void, ms: number, maxTimerMs = MAX_TIMER_MS): () => void {
  const deadline = performance.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = deadline - performance.now();
    if (left <= 0) {
      callback();
      return;
    }
    timer = setTimeout(arm, Math.min(left, maxTimerMs));
  };
  arm();
  return () => {
    clearTimeout(timer);
  };
}
