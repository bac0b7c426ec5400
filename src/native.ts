/**
 * The native addon's surface, typed. The addon is deliberately thin: it opens perf events,
 * maps their rings, drains them in batches and reports readiness; every decision is made here
 * in TypeScript.
 */
import { createRequire } from 'node:module';
import { isAbsolute } from 'node:path';

const require = createRequire(import.meta.url);

/** One perf event to open on every CPU of a capture (a `perf_event_attr` subset). */
export interface NativeEventSpec {
  /** `perf_event_attr.type`: PERF_TYPE_TRACEPOINT (2) or a dynamic PMU's type. */
  type: number;
  /** `perf_event_attr.config`: the tracepoint id for tracepoints. */
  config: bigint;
  /** `perf_event_attr.config1` as a string the kernel reads (perf_kprobe / perf_uprobe PMUs). */
  config1String?: string;
  /** `perf_event_attr.config1` as a number, when no string is given. */
  config1?: bigint;
  /** `perf_event_attr.config2` (probe offset or address). */
  config2?: bigint;
  /** A kernel filter expression, set with PERF_EVENT_IOC_SET_FILTER on every fd of the event. */
  filter?: string;
  /**
   * Sample the call chain too (PERF_SAMPLE_CALLCHAIN): its kernel and/or user frames, at most
   * `maxStack` of them (0: the kernel's limit, `kernel.perf_event_max_stack`).
   */
  callchain?: { kernel: boolean; user: boolean; maxStack: number };
}

/**
 * Options of the native `Capture` constructor; validated in TypeScript before the call. The addon
 * reads an optional option that is `undefined` as absent, so both are allowed.
 */
export interface NativeCaptureOptions {
  events: NativeEventSpec[];
  /** CPUs to open every event on, one ring each, in this order. */
  cpus: number[];
  /**
   * What every event is opened for on each CPU: thread ids ([-1]: every process), or with `cgroup`
   * the fd of one cgroup directory.
   */
  targets: number[];
  /** The targets are cgroup directory fds (PERF_FLAG_PID_CGROUP). */
  cgroup?: boolean | undefined;
  /**
   * Also open, per CPU and target, a dummy event that writes PERF_RECORD_COMM, FORK and EXIT
   * records (for process names) into a ring of its own per CPU, drained with the samples. It has
   * no sample id.
   */
  sideBand?: boolean | undefined;
  /** With `sideBand`: PERF_RECORD_MMAP2 records of executable mappings too (to symbolize user stacks). */
  sideBandMappings?: boolean | undefined;
  /** Also trace the children the targets create from now on. */
  inherit: boolean;
  /** Leave enabling to the kernel at the target's next exec (for commands we start). */
  enableOnExec?: boolean | undefined;
  /** Data pages per ring: a power of two. */
  ringPages: number;
  /** Data pages per side-band ring (with `sideBand`): a power of two. */
  sideBandPages?: number | undefined;
  /** Wake the reader every this many samples (default 1); ignored with `wakeupBytes`. */
  wakeupEvents?: number | undefined;
  /** Wake the reader when a ring holds this many bytes. */
  wakeupBytes?: number | undefined;
  /**
   * The drain deadline, in ms: while enabled, the addon looks at the rings (without calling into
   * JS) and calls `onReadable` once the oldest waiting sample is this old; it looks again this often
   * while the rings are empty. Without it, `onReadable` is called at the wakeup point only.
   */
  drainDeadlineMs?: number | undefined;
}

/** A native capture: one ring per CPU shared by all its events. */
export interface NativeCapture {
  /** Sample ids, ring-major: event `e` of ring `r` at `sampleIdSlot(r, e, events.length)` (native-protocol.ts). */
  ids(): BigUint64Array;
  /**
   * Enables every event (unless `enableOnExec` leaves that to the kernel) and starts watching the
   * rings: for readiness, and for samples older than the drain deadline.
   */
  enable(): void;
  /** Disables every event and stops watching; pending records stay in the rings. */
  disable(): void;
  /**
   * Copies every complete sample record of every ring into `out` and returns the byte count; then
   * every side-band record (COMM, FORK, EXIT) into `sideBandOut`, which must hold every side-band
   * ring whole (`ringCount * sideBandPages` pages). Samples first: a name record written before a
   * sample that was read is read too. `counts` (`drainCountsLength(ringCount)` long, see
   * native-protocol.ts) gets each ring's running totals, and how full it was before this call, at
   * `ringCountSlot`, at `bufferFilledSlot` a
   * 1 when `out` filled before the rings were empty (call again for the rest), else 0, and at
   * `sideBandBytesSlot` the bytes written to `sideBandOut`.
   */
  drain(out: ArrayBuffer, counts: Float64Array, sideBandOut: ArrayBuffer): number;
  /**
   * Samples the kernel dropped per ring (PERF_FORMAT_LOST, Linux 6.0+), read now from every fd;
   * null on older kernels or after close.
   */
  readLost(): Float64Array | null;
  /** Disables, unmaps and closes everything exactly once; idempotent. */
  close(): void;
  /** Rings opened: one per CPU of `options.cpus`, in that order. */
  readonly ringCount: number;
}

/**
 * Called on the event loop when a ring reached its wakeup point or holds a sample as old as the
 * drain deadline. `hangup` is true when a watched event hung up (the traced task exited) or the
 * watch failed: the native side has then stopped watching readiness, and from now on only the
 * drain deadline calls.
 */
export type ReadinessListener = (hangup: boolean) => void;

/** Constructor of {@link NativeCapture}: opens every event on every CPU, disabled. */
export type NativeCaptureConstructor = new (
  options: NativeCaptureOptions,
  onReadable: ReadinessListener,
) => NativeCapture;

/** The addon's exports. */
export interface NativeAddon {
  Capture: NativeCaptureConstructor;
  /**
   * `flock(fd, LOCK_EX | LOCK_NB)`: true when the lock was taken, false when another open file holds
   * it. Released when the fd closes or the process dies, so a crashed holder never blocks others.
   */
  tryLockExclusive(fd: number): boolean;
  /**
   * 0 when the kernel accepts `filter` on tracepoint `tracepointId` (PERF_EVENT_IOC_SET_FILTER on a
   * disabled event of this process, closed at once), else the errno of the refusal.
   */
  testFilter(tracepointId: bigint, filter: string): number;
  /** Layout facts of `struct perf_event_mmap_page` as compiled. */
  ringLayout: { pageSize: number; dataHeadOffset: number; dataTailOffset: number };
}

let addon: NativeAddon | undefined;

/**
 * The environment variable naming a compiled addon (an absolute path to a `.node` file) to load
 * instead of the one `npm install` built: how `npm run test:sanitize` runs the tests against its
 * sanitizer-instrumented build.
 */
export const ADDON_PATH_VARIABLE = 'PERF_BRIDGE_ADDON';

/** Loads the compiled addon once: the one {@link ADDON_PATH_VARIABLE} names, else node-gyp's build. */
export function native(): NativeAddon {
  addon ??= loadAddon('perf_bridge', ADDON_PATH_VARIABLE) as NativeAddon;
  return addon;
}

/**
 * Loads a target of binding.gyp: from the absolute path in environment variable `pathVariable` when
 * it is set, else from node-gyp's build directory.
 *
 * @internal also loads the tests' own addon (test/native/test-addon.ts).
 * @throws Error when `pathVariable` holds a relative path.
 */
export function loadAddon(targetName: string, pathVariable: string): unknown {
  const override = process.env[pathVariable];
  if (override) {
    // A relative path would resolve against this file, not where the user ran the command.
    if (!isAbsolute(override)) throw new Error(`${pathVariable} must be an absolute path, not '${override}'`);
    return require(override);
  }
  const bindings = require('bindings') as (name: string) => unknown;
  return bindings(targetName);
}
