/**
 * Opening a session's native capture: every event on every CPU for every target, disabled, with its
 * filters, the process-name side-band and a readiness watch.
 */
import { kernelErrorFrom } from '../errors.js';
import { allOfFilters } from '../filter/combine.js';
import { FILTER_MAX_BYTES } from '../filter/compile.js';
import {
  type NativeCapture,
  type NativeCaptureOptions,
  type NativeEventSpec,
  type ReadinessListener,
  native,
} from '../native.js';
import type { ResolvedSessionOptions } from './options.js';
import type { ResolvedEvent } from './resolved-event.js';
import { type CaptureTargets, openTargets } from './targets.js';

/** Whatever drains the capture when a ring reaches its wakeup point. */
export interface DrainTarget {
  drainNow(): void;
}

/**
 * Opens `events` on the options' CPUs for the session's targets, with the side-band that tracks
 * process names. The native side calls `target.drainNow()` when a ring is ready; it holds that
 * callback strongly, so the target is held weakly (see {@link weakReadinessCallback}).
 *
 * @throws KernelError naming the event and CPU that `perf_event_open` (or the filter) refused;
 *   nothing stays open.
 */
export function openCapture(
  options: ResolvedSessionOptions,
  events: readonly ResolvedEvent[],
  target: DrainTarget,
  commandPid: number | undefined,
): { capture: NativeCapture; excludedPids: number[] } {
  for (let attempt = 1; ; attempt++) {
    const targets = openTargets(options, commandPid);
    try {
      const nativeOpts = nativeOptions(options, events, targets);
      const capture = new (native().Capture)(nativeOpts, weakReadinessCallback(new WeakRef(target)));
      return { capture, excludedPids: targets.excludedPids };
    } catch (error) {
      // A thread of a traced process exited between the listing and its open: list them again.
      if (isGoneThread(error, options) && attempt < MAX_OPEN_ATTEMPTS) continue;
      throw openError(error, events);
    } finally {
      targets.close();
    }
  }
}

/**
 * The side-band ring per CPU, in pages: 64 KiB holds about a thousand exec, fork and exit
 * records, far more than a busy machine makes between two drains.
 */
export const SIDE_BAND_PAGES = 16;

/** Opens tried when threads of a traced process keep exiting under us. */
const MAX_OPEN_ATTEMPTS = 5;

function isGoneThread(error: unknown, options: ResolvedSessionOptions): boolean {
  return options.pids.length > 0 && (error as { code?: unknown }).code === 'ESRCH';
}

function nativeOptions(
  options: ResolvedSessionOptions,
  events: readonly ResolvedEvent[],
  { targets, cgroup, exclusionFilter }: CaptureTargets,
): NativeCaptureOptions {
  const { cpus, inherit, ringPages, wakeupBytes, wakeupEvents, flushIntervalMs } = options;
  return {
    events: events.map((event) =>
      withCallchain(withFilter(event.spec, allOfFilters(filtersOf(event, exclusionFilter))), event),
    ),
    cpus,
    targets,
    cgroup,
    sideBand: true,
    sideBandMappings: events.some((event) => event.stack?.user === true),
    sideBandPages: SIDE_BAND_PAGES,
    inherit,
    enableOnExec: options.enableOnExec || options.command !== undefined,
    ringPages,
    drainDeadlineMs: flushIntervalMs,
    // At most one wakeup form is set; the other key stays out rather than being undefined.
    ...(wakeupBytes === undefined ? {} : { wakeupBytes }),
    ...(wakeupEvents === undefined ? {} : { wakeupEvents }),
  };
}

/**
 * The user's filter of `event` and the exclusion filter, those that are set. The kernel takes at
 * most a page of filter text: when both do not fit, the user's filter goes alone and the decoders
 * alone leave the excluded processes out.
 */
function filtersOf(event: ResolvedEvent, exclusionFilter: string | undefined): string[] {
  const filters = [event.filter, exclusionFilter].filter((filter) => filter !== undefined);
  const combined = allOfFilters(filters);
  return combined !== undefined && Buffer.byteLength(combined) > FILTER_MAX_BYTES && event.filter !== undefined
    ? [event.filter]
    : filters;
}

function withFilter(spec: NativeEventSpec, filter: string | undefined): NativeEventSpec {
  return filter === undefined ? spec : { ...spec, filter };
}

/** `spec` with the call chain `event`'s stack option asks for (as is without one). */
function withCallchain(spec: NativeEventSpec, { stack }: ResolvedEvent): NativeEventSpec {
  return stack === undefined
    ? spec
    : { ...spec, callchain: { kernel: stack.kernel, user: stack.user, maxStack: stack.maxDepth } };
}

/** The error for a failed open: the event and CPU named, and for a refused filter its text. */
function openError(error: unknown, events: readonly ResolvedEvent[]): Error {
  const { eventIndex, cpu, syscall } = error as { eventIndex?: number; cpu?: number; syscall?: string };
  const event = eventIndex === undefined ? undefined : events[eventIndex];
  if (event === undefined) return kernelErrorFrom(error, 'opening perf events');
  // The one ioctl the addon reports with the event it concerns is PERF_EVENT_IOC_SET_FILTER.
  if (syscall === 'ioctl') {
    return kernelErrorFrom(error, `the kernel refused the filter of ${event.name} (${event.filter ?? ''})`, {
      hint: 'check the expression against `perf-bridge format EVENT`: perf-bridge checked it, this kernel differs',
    });
  }
  return kernelErrorFrom(error, `opening ${event.name} on CPU ${String(cpu)}`);
}

/**
 * The readiness callback for the native side, which holds it strongly. Built out here, the closure
 * captures nothing but a weak reference, so an unclosed, unreferenced session can still be
 * collected (and the native finalizer then closes its fds). A running session is kept alive while
 * it runs (see session.ts), as a server is by its socket.
 */
function weakReadinessCallback(target: WeakRef<DrainTarget>): ReadinessListener {
  // After a hangup (the traced task exited) the addon stops watching readiness: this drain takes
  // what the task wrote last, and the drain deadline drains from then on.
  return () => {
    target.deref()?.drainNow();
  };
}
