/**
 * One lock around every change perf-bridge makes to the probe files. The kernel has no "create
 * only if absent": a definition whose name exists is appended to that event. Checking that a name
 * is free and writing it must therefore happen with no other perf-bridge process in between, on
 * this machine. The lock is an flock on a file in the registry directory, so a holder that dies
 * releases it; it is re-entrant within one thread.
 */
import { closeSync, constants, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { PerfBridgeError } from '../errors.js';
import { native } from '../native.js';

/** How long to wait for another perf-bridge process to finish its probe changes. */
const LOCK_TIMEOUT_MS = 10_000;
const RETRY_MS = 2;

/** The probe lock could not be taken in time: another perf-bridge process holds it. */
export class ProbeLockTimeoutError extends PerfBridgeError {
  /** Always `ETIMEDOUT`. */
  readonly code = 'ETIMEDOUT';
}

let held: { fd: number; depth: number } | undefined;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function acquire(dir: string, timeoutMs: number): number {
  const path = join(dir, 'probes.lock');
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const deadline = Date.now() + timeoutMs;
  try {
    while (!native().tryLockExclusive(fd)) {
      if (Date.now() >= deadline) {
        throw new ProbeLockTimeoutError(`another perf-bridge process has held ${path} for over ${timeoutMs} ms`, {
          hint: 'it is creating or removing probes; if it hangs, check `dmesg` for a kernel BUG or Oops',
        });
      }
      Atomics.wait(sleepCell, 0, 0, RETRY_MS); // synchronous: probe changes happen in exit handlers too
    }
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0); // for a person wondering who holds it
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Runs `action` holding the probe lock of registry directory `dir`. */
export function withProbeLock<T>(dir: string, action: () => T, timeoutMs = LOCK_TIMEOUT_MS): T {
  if (held === undefined) held = { fd: acquire(dir, timeoutMs), depth: 0 };
  held.depth++;
  try {
    return action();
  } finally {
    if (--held.depth === 0) {
      closeSync(held.fd); // releases the flock
      held = undefined;
    }
  }
}
