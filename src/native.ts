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
}

/** Options of the native `Capture` constructor; validated in TypeScript before the call. */
export interface NativeCaptureOptions {
  events: NativeEventSpec[];
  cpus: number[];
  pid: number;
  inherit: boolean;
  /** Leave enabling to the kernel at the target's next exec (for commands we start). */
  enableOnExec?: boolean;
  ringPages: number;
  wakeupEvents?: number;
  wakeupBytes?: number;
}

/** A native capture: one ring per CPU shared by all its events. */
export interface NativeCapture {
  /** Sample ids, ring-major: `ids()[ring * events.length + eventIndex]`. */
  ids(): BigUint64Array;
  /**
   * Enables every event (unless `enableOnExec` leaves that to the kernel) and starts watching the
   * rings for readiness.
   */
  enable(): void;
  /** Disables every event and stops watching; pending records stay in the rings. */
  disable(): void;
  /**
   * Copies every complete sample record of every ring into `out` and returns the byte count.
   * `counts[3r..3r+2]` get ring r's running lost-records, lost-samples and corrupt-reset totals;
   * `counts[3 * ringCount]` is 1 when `out` filled before the rings were empty.
   */
  drain(out: ArrayBuffer, counts: Float64Array): number;
  /**
   * Samples the kernel dropped per ring (PERF_FORMAT_LOST, Linux 6.0+), read now from every fd;
   * null on older kernels or after close.
   */
  readLost(): Float64Array | null;
  /** Disables, unmaps and closes everything exactly once; idempotent. */
  close(): void;
  readonly ringCount: number;
}

/**
 * Constructor of {@link NativeCapture}. `onReadable(hangup)` runs on the event loop; after a hangup
 * (the traced task exited) the native side stops watching and the caller's own timer must drain.
 */
export type NativeCaptureConstructor = new (
  options: NativeCaptureOptions,
  onReadable: (hangup: boolean) => void,
) => NativeCapture;

/** The addon's exports. */
export interface NativeAddon {
  Capture: NativeCaptureConstructor;
  /** Runs the ring reader over a ring built in JS memory (tests): same code as for real rings. */
  drainSyntheticRing(ring: ArrayBuffer, dataSize: number, out: ArrayBuffer, counts: Float64Array): number;
  /**
   * `flock(fd, LOCK_EX | LOCK_NB)`: true when the lock was taken, false when another open file holds
   * it. Released when the fd closes or the process dies, so a crashed holder never blocks others.
   */
  tryLockExclusive(fd: number): boolean;
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
  if (addon === undefined) {
    const override = process.env[ADDON_PATH_VARIABLE];
    if (override) {
      // A relative path would resolve against this file, not where the user ran the command.
      if (!isAbsolute(override)) throw new Error(`${ADDON_PATH_VARIABLE} must be an absolute path, not '${override}'`);
      addon = require(override) as NativeAddon;
    } else {
      const bindings = require('bindings') as (name: string) => NativeAddon;
      addon = bindings('perf_bridge');
    }
  }
  return addon;
}
