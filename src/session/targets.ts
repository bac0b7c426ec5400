/**
 * Whose events a capture sees, as the kernel is asked for them: the threads of the given processes
 * (perf `-p`: an event opened on a pid follows that one thread, so every existing thread gets its
 * own), a cgroup directory, or every process; and the processes left out, by a kernel filter on
 * `common_pid` (their threads when the session opens) and by their pid in the decoders (threads
 * they start later).
 */
import { closeSync, openSync } from 'node:fs';

import { OptionError, kernelErrorFrom } from '../errors.js';
import { threadsOf } from '../process/threads.js';
import type { ResolvedTargets } from './target-options.js';

/**
 * The longest exclusion filter sent to the kernel. The perf ioctl copies at most a page of filter
 * text, and the user's filter shares it; past this, excluded processes are dropped only by pid in
 * the decoders.
 */
const MAX_EXCLUSION_FILTER = 2048;

/** The targets of one capture, opened: give them to the native capture, then close(). */
export interface CaptureTargets {
  /** Thread ids, [-1] for every process, or the cgroup directory's fd. */
  targets: number[];
  cgroup: boolean;
  /** Processes (thread group ids) whose events the decoders drop. */
  excludedPids: number[];
  /** `common_pid != …` over the excluded processes' threads; undefined when none, or too long. */
  exclusionFilter: string | undefined;
  /** Closes the cgroup directory fd, once the capture has opened its events. */
  close(): void;
}

/**
 * Lists the threads of the targeted processes (or of the command's process `commandPid`), opens
 * the cgroup directory, and works out what to exclude.
 *
 * @throws OptionError for a process that is not running or a cgroup that cannot be opened.
 */
export function openTargets(options: ResolvedTargets, commandPid: number | undefined): CaptureTargets {
  // A command is held before its exec: it has one thread, and its children follow by inherit.
  if (commandPid !== undefined) return { targets: [commandPid], cgroup: false, ...NO_EXCLUSION, close: noop };
  if (options.pids.length > 0) {
    const targets = options.pids.flatMap((pid) => threadsOf(pid));
    return { targets: [...new Set(targets)], cgroup: false, ...NO_EXCLUSION, close: noop };
  }
  // Only sessions that see every process (or a cgroup's, which may hold ours) exclude any.
  const excludedPids = excludedProcesses(options);
  const exclusion = { excludedPids, exclusionFilter: exclusionFilter(excludedPids) };
  if (options.cgroup === undefined) return { targets: [-1], cgroup: false, ...exclusion, close: noop };
  const fd = openCgroup(options.cgroup);
  const close = () => {
    closeSync(fd);
  };
  return { targets: [fd], cgroup: true, ...exclusion, close };
}

const NO_EXCLUSION = { excludedPids: [], exclusionFilter: undefined };

function noop(): void {
  // nothing to close
}

/** This process (unless excludeSelf is false) and the excludePids, each once. */
function excludedProcesses(options: ResolvedTargets): number[] {
  const pids = options.excludeSelf ? [process.pid, ...options.excludePids] : options.excludePids;
  return [...new Set(pids)];
}

/** The kernel filter that leaves out every current thread of `pids`. */
function exclusionFilter(pids: readonly number[]): string | undefined {
  const threads = pids.flatMap((pid) => {
    try {
      return threadsOf(pid);
    } catch {
      return []; // exited meanwhile: nothing of it to leave out
    }
  });
  if (threads.length === 0) return undefined;
  const filter = threads.map((tid) => `common_pid != ${tid}`).join(' && ');
  return filter.length <= MAX_EXCLUSION_FILTER ? filter : undefined;
}

/** The cgroup directory, opened for PERF_FLAG_PID_CGROUP (which takes its fd as the pid). */
function openCgroup(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new OptionError(`cgroup '${path}' does not exist`, {
        option: 'cgroup',
        hint: 'give a directory under the cgroup v2 mount, e.g. /sys/fs/cgroup/system.slice/ssh.service',
      });
    }
    throw kernelErrorFrom(error, `opening cgroup ${path}`);
  }
}
