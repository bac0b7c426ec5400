/** Opening a session's native capture: every event on every CPU, disabled, with a readiness watch. */
import { kernelErrorFrom } from '../errors.js';
import { type NativeCapture, type NativeCaptureOptions, type ReadinessListener, native } from '../native.js';
import type { ResolvedSessionOptions } from './options.js';
import type { ResolvedEvent } from './resolved-event.js';

/** Whatever drains the capture when a ring reaches its wakeup point. */
export interface DrainTarget {
  drainNow(): void;
}

/**
 * Opens `events` on the options' CPUs. The native side calls `target.drainNow()` when a ring is
 * ready; it holds that callback strongly, so the target is held weakly (see {@link weakReadinessCallback}).
 *
 * @throws KernelError naming the event and CPU that `perf_event_open` refused; nothing stays open.
 */
export function openCapture(
  options: ResolvedSessionOptions,
  events: readonly ResolvedEvent[],
  target: DrainTarget,
): NativeCapture {
  try {
    return new (native().Capture)(nativeOptions(options, events), weakReadinessCallback(new WeakRef(target)));
  } catch (error) {
    throw kernelErrorFrom(error, openingWhat(error, events));
  }
}

function nativeOptions(options: ResolvedSessionOptions, events: readonly ResolvedEvent[]): NativeCaptureOptions {
  const { cpus, pid, inherit, enableOnExec, ringPages, wakeupBytes, wakeupEvents } = options;
  return {
    events: events.map((event) => event.spec),
    cpus,
    pid,
    inherit,
    enableOnExec,
    ringPages,
    // At most one wakeup form is set; the other key stays out rather than being undefined.
    ...(wakeupBytes === undefined ? {} : { wakeupBytes }),
    ...(wakeupEvents === undefined ? {} : { wakeupEvents }),
  };
}

/** What failed to open, from the event index and CPU the addon attaches to its error. */
function openingWhat(error: unknown, events: readonly ResolvedEvent[]): string {
  const { eventIndex, cpu } = error as { eventIndex?: number; cpu?: number };
  const event = eventIndex === undefined ? undefined : events[eventIndex];
  return event === undefined ? 'opening perf events' : `opening ${event.name} on CPU ${String(cpu)}`;
}

/**
 * The readiness callback for the native side, which holds it strongly. Built out here, the closure
 * captures nothing but a weak reference, so an unclosed, unreferenced session can still be
 * collected (and the native finalizer then closes its fds). A running session is kept alive by its
 * flush timer, as a server is by its socket.
 */
function weakReadinessCallback(target: WeakRef<DrainTarget>): ReadinessListener {
  // After a hangup (the traced task exited) the addon stops watching: this drain takes what the
  // task wrote last, and the session's flush timer drains from then on.
  return () => {
    target.deref()?.drainNow();
  };
}
