/**
 * Teardown when the owner does not get to it: at process exit, on fatal signals, and after garbage
 * collection. Sessions close their fds and probe sets remove their probes here when `close()` was
 * never called.
 *
 * Everything is held weakly where it can be, so an unclosed session can still be collected (its
 * native part then closes itself), and the callbacks are built at module level, away from the
 * Session class, so their closures capture only what they are given.
 */
import type { ProbeSet } from '../probes/probe-set.js';

/** Anything with an idempotent, synchronous close. */
export interface Closable {
  close(): void;
}

/** Something whose probes can be removed synchronously (a session: close its fds, then remove). */
export interface RemovableProbes {
  remove(): void;
}

const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const openAtExit = new Set<WeakRef<Closable>>();
const liveProbes = new Set<RemovableProbes>();
let exitHookInstalled = false;

/** Runs each teardown step; exit must go on whatever one of them throws. */
function runEach<T>(targets: Iterable<T>, step: (target: T) => void): void {
  for (const target of targets) {
    try {
      step(target);
    } catch {
      // Our own close() and remove() report nothing more useful here; a probe that could not be
      // removed stays in the registry for the next sweep.
    }
  }
}

function closeEverything(): void {
  runEach(openAtExit, (ref) => ref.deref()?.close());
  openAtExit.clear();
}

function removeEveryProbe(): void {
  runEach([...liveProbes], (probes) => {
    probes.remove();
  });
}

/** The exit hook: fds first, since the kernel keeps probes busy while perf events on them are open. */
function onExit(): void {
  closeEverything();
  removeEveryProbe();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', onExit);
}

/**
 * Removes probes on a fatal signal; when nobody else handles the signal, raises it again so the
 * process ends the way it would have without perf-bridge.
 */
function onFatalSignal(signal: NodeJS.Signals): void {
  // Another listener means the application handles this signal: clean up, let it decide.
  const othersListen = process.listenerCount(signal) > 1;
  removeEveryProbe();
  if (!othersListen) {
    process.removeListener(signal, onFatalSignal);
    process.kill(process.pid, signal);
  }
}

/** Registers an object to close at process exit (held weakly); returns the function that unregisters it. */
export function closeAtExit(target: Closable): () => void {
  installExitHook();
  const ref = new WeakRef(target);
  openAtExit.add(ref);
  return () => {
    openAtExit.delete(ref);
  };
}

/**
 * Registers probes for removal at exit and on SIGINT / SIGTERM / SIGHUP (held strongly: they must
 * go even when their owner is gone); returns the function that unregisters them.
 */
export function installProbeCleanup(probes: RemovableProbes): () => void {
  installExitHook();
  if (liveProbes.size === 0) for (const signal of FATAL_SIGNALS) process.on(signal, onFatalSignal);
  liveProbes.add(probes);
  return () => {
    liveProbes.delete(probes);
    if (liveProbes.size === 0) for (const signal of FATAL_SIGNALS) process.removeListener(signal, onFatalSignal);
  };
}

/**
 * What runs at exit or on a fatal signal for a session's probes: the perf fds must close before the
 * kernel lets the probes go, so close the session first, then remove. The session is held weakly
 * so that an unclosed one can still be collected.
 */
export function weakProbeCleanup(session: WeakRef<Closable>, probeSet: ProbeSet): RemovableProbes {
  return {
    remove: () => {
      const live = session.deref();
      // close() removes the probes itself; a collected session's probes are removed directly.
      if (live) live.close();
      else probeSet.remove();
    },
  };
}

/** Attempts the finalizer makes, {@link FINALIZER_RETRY_MS} apart, while the kernel calls probes busy. */
const FINALIZER_ATTEMPTS = 21;
const FINALIZER_RETRY_MS = 100;

/**
 * Removes the probes of sessions that were garbage-collected without close(). The native side
 * closes the perf fds from its own finalizer, possibly later: while the kernel still calls the
 * events busy, removal is retried. `unregister` drops the exit and signal hooks once removed.
 */
export const probeFinalizer = new FinalizationRegistry<{ probeSet: ProbeSet; unregister: () => void }>(
  ({ probeSet, unregister }) => {
    const attempt = (attemptsLeft: number): void => {
      probeSet.remove();
      if (probeSet.isRemoved) unregister();
      else if (attemptsLeft > 1) {
        setTimeout(() => {
          attempt(attemptsLeft - 1);
        }, FINALIZER_RETRY_MS).unref();
      }
    };
    attempt(FINALIZER_ATTEMPTS);
  },
);
