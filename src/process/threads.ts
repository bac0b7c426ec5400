/** The threads of a running process, from /proc: perf events opened per task need every thread's id. */
import { readdirSync } from 'node:fs';

import { OptionError, kernelErrorFrom } from '../errors.js';

/** True when `value` is an integer a pid can be (positive, below 2^31: pid_t is an int). */
function isPidValue(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value < 2 ** 31;
}

/**
 * Every thread id of the running process `pid`, sorted, from `/proc/PID/task`. `pid` may be any
 * thread of the process: the kernel lists the whole thread group under each of its threads. A
 * zombie lists its main thread until it is reaped.
 *
 * A perf event opened on a pid follows that one thread (and, with inherit, the threads and
 * children it creates afterwards), not the threads that already exist: tracing a running
 * multi-threaded process means one event per thread listed here.
 *
 * @throws {@link OptionError} (option `pid`) when `pid` is not a positive integer or no process has
 *   it; a {@link KernelError} when /proc refuses the read (hidepid, no /proc).
 */
export function threadsOf(pid: number): number[] {
  // JavaScript callers can pass anything: check what arrived, not what the type promises.
  const input: unknown = pid;
  if (!isPidValue(input)) {
    throw new OptionError(`pid must be a positive integer process id, got ${String(input)}`, {
      code: typeof input === 'number' ? 'BAD_OPTION_VALUE' : 'BAD_OPTION_TYPE',
      option: 'pid',
      hint: 'pass the id of a running process (`pgrep NAME` finds it)',
    });
  }
  let names: string[];
  try {
    names = readdirSync(`/proc/${input}/task`);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new OptionError(`no process ${input} is running`, {
        option: 'pid',
        hint: 'check the pid with `ps -p PID`: the process may have exited already',
      });
    }
    throw kernelErrorFrom(error, `listing the threads of process ${input} in /proc/${input}/task`, {
      hint: 'reading another process in /proc needs root when /proc is mounted with hidepid',
    });
  }
  return names
    .map(Number)
    .filter(isPidValue)
    .sort((a, b) => a - b);
}
