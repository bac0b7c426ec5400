/**
 * Callbacks a session hands to long-lived owners (the native readiness watch, exit and signal
 * hooks, the finalization registry). They are built here, away from the Session class, so their
 * closures capture only what they are given: a session held weakly can still be collected once it
 * is not running (a running one is kept alive by its flush timer, as a server is by its socket).
 */
import type { ProbeSet } from '../probes/probe-set.js';

/** Calls a user's listener; its exception surfaces as uncaught, but not inside the native callback. */
export function callSafely<T>(listener: (batch: T) => void, batch: T): void {
  try {
    listener(batch);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

/**
 * The native side holds its readiness callback strongly. Built out here, the closure captures
 * nothing but a weak reference, so an unclosed, unreferenced session can still be collected
 * (and the native finalizer then closes its fds).
 */
export function weakReadinessCallback(session: WeakRef<{ drainNow(): void }>): () => void {
  return () => session.deref()?.drainNow();
}

/**
 * What runs at exit or on a fatal signal: the perf fds must close before the kernel lets the
 * probes go, so close the session first, then remove. Built at module level so the closure
 * holds the session only weakly and an unclosed session can still be collected.
 */
export function weakProbeCleanup(session: WeakRef<{ close(): void }>, probeSet: ProbeSet): { remove(): void } {
  return {
    remove: () => {
      const live = session.deref();
      // close() removes the probes itself; a collected session's probes are removed directly.
      if (live) live.close();
      else probeSet.remove();
    },
  };
}

/**
 * Removes the probes of sessions that were garbage-collected without close(). The native side
 * closes the perf fds from its own finalizer, possibly later: while the kernel still calls the
 * events busy, removal is retried.
 */
export const probeFinalizer = new FinalizationRegistry<{ probeSet: ProbeSet; unregister: () => void }>(
  ({ probeSet, unregister }) => {
    const attempt = (left: number) => {
      probeSet.remove();
      if (probeSet.isRemoved) unregister();
      else if (left > 0)
        setTimeout(() => {
          attempt(left - 1);
        }, 100).unref();
    };
    attempt(20);
  },
);
