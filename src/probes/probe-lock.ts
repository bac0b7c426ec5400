/**
 * One lock around every change perf-bridge makes to the probe files. The kernel has no "create
 * only if absent": a definition whose name exists is appended to that event. Checking that a name
 * is free and writing it must therefore happen with no other perf-bridge process in between.
 *
 * The lock is an flock on the tracefs root directory itself: every process that sees this tracefs
 * (whatever its registry directory, also in a container sharing the host's tracefs) locks the same
 * inode, and a holder that dies releases it. It is re-entrant within one thread.
 */
import { closeSync, constants, openSync } from 'node:fs';

import { ProbeLockTimeoutError } from '../errors.js';
import { native } from '../native.js';

/** How long to wait for another perf-bridge process to finish its probe changes. */
const LOCK_TIMEOUT_MS = 10_000;
/** After a timeout, later attempts wait this little: a stuck holder must not stall every exit handler. */
const STUCK_TIMEOUT_MS = 100;
const RETRY_MS = 2;

let held: { fd: number; depth: number } | undefined;
let timedOutBefore = false;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

function acquire(root: string, timeoutMs: number): number {
  const fd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY);
  const wait = timedOutBefore ? Math.min(timeoutMs, STUCK_TIMEOUT_MS) : timeoutMs;
  const deadline = Date.now() + wait;
  try {
    while (!native().tryLockExclusive(fd)) {
      if (Date.now() >= deadline) {
        timedOutBefore = true;
        throw new ProbeLockTimeoutError(
          `another perf-bridge process has held the probe lock on ${root} for ${wait} ms`,
          {
            hint:
              'it is creating or removing probes; if it does not finish, check `dmesg` for a kernel BUG or Oops ' +
              `(the holder is the FLOCK on the inode of ${root} in /proc/locks)`,
          },
        );
      }
      Atomics.wait(sleepCell, 0, 0, RETRY_MS); // synchronous: probe changes happen in exit handlers too
    }
    timedOutBefore = false;
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Runs `action` holding the probe lock of the tracefs mounted at `root`. */
export function withProbeLock<T>(root: string, action: () => T, timeoutMs = LOCK_TIMEOUT_MS): T {
  held ??= { fd: acquire(root, timeoutMs), depth: 0 };
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
