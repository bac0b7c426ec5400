/**
 * Background threads (the store's and the publisher's workers) at the lowest scheduling priority.
 * They share the reader's CPU when the process is pinned to one, as the bench pins it: at the
 * default priority, the scheduler gave a worker appending a flood into DuckDB half of the core,
 * and the capture thread's drains came too late (the kernel dropped 335,000 of 2,000,000 events).
 * At nice 19 a worker gets ~1.5% of a core the capture wants, and every cycle it leaves.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lowest priority (highest nice value) on Linux. */
const LOWEST_PRIORITY = 19;

/**
 * Lowers the calling thread's priority only (Linux keeps a nice value per thread: setpriority of
 * a thread id). Best effort: a failure leaves the thread as it was.
 */
export function lowerThreadPriority(): void {
  try {
    // /proc/thread-self is "PID/task/TID" for the thread that reads it.
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(threadId, LOWEST_PRIORITY);
  } catch {
    // Not Linux, or not allowed: the worker keeps the default priority.
  }
}
