/**
 * Removing live probes when the process ends: at normal exit, and on SIGINT / SIGTERM / SIGHUP.
 * After cleaning up on a signal that nobody else handles, the signal is raised again so the
 * process ends the way it would have without perf-bridge.
 */

/** Something whose probes can be removed synchronously (a session: close its fds, then remove). */
export interface RemovableProbes {
  remove(): void;
}

const live = new Set<RemovableProbes>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function removeAll(): void {
  for (const set of [...live]) {
    try {
      set.remove();
    } catch {
      // Exiting: what could not be removed stays in the registry for the next sweep.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener means the application handles this signal: clean up, let it decide.
  const othersListen = process.listenerCount(signal) > 1;
  removeAll();
  if (!othersListen) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

/** Registers a probe set for removal at exit and on fatal signals; returns the unregister function. */
export function installProbeCleanup(set: RemovableProbes): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', removeAll);
  }
  if (live.size === 0) for (const signal of SIGNALS) process.on(signal, onSignal);
  live.add(set);
  return () => {
    live.delete(set);
    if (live.size === 0) for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  };
}
