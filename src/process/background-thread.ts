/**
 * Background threads (the store's and the publisher's workers) at the lowest scheduling priority.
 * They share the reader's CPU when the process is pinned to one, as the bench pins it: at the
 * default priority, the scheduler gave a worker appending a flood into DuckDB half of the core,
 * and the capture thread's drains came too late (the kernel dropped 335,000 of 2,000,000 events).
 * At nice 19 a thread still runs out its slice before a waking capture thread gets the core;
 * under SCHED_IDLE it is preempted at once, and runs only when nothing else on the core wants to.
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lowest priority (highest nice value) on Linux. */
const LOWEST_PRIORITY = 19;

/**
 * Lowers the calling thread's priority only (Linux schedules threads one by one: a policy and a
 * nice value per thread id): SCHED_IDLE through util-linux's `chrt` (Node has no
 * sched_setscheduler), and nice 19 in any case. Threads the caller creates afterwards (DuckDB's)
 * inherit both. Best effort: what fails leaves the thread as it was.
 */
export function lowerThreadPriority(): void {
  let threadId: number;
  try {
    // /proc/thread-self is "PID/task/TID" for the thread that reads it.
    threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return; // not Linux
  }
  try {
    setPriority(threadId, LOWEST_PRIORITY);
  } catch {
    // Not allowed: the default priority.
  }
  try {
    execFileSync('chrt', ['--idle', '--pid', '0', String(threadId)], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // No chrt: nice 19 only.
  }
}
