/**
 * Checking the options that say whose events a session sees: `pid`, `cgroup`, `command`,
 * `excludeSelf` and `excludePids`. Only their shape and range are checked here; whether the
 * processes and the cgroup exist is found out when the session opens.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';

import { quoteInput } from '../errors.js';
import { booleanOption, refuse, shown } from './option-values.js';

/** The kernel's PID_MAX_LIMIT, for when /proc/sys/kernel/pid_max cannot be read. */
const PID_MAX_LIMIT = 4 * 1024 * 1024;

/** Whose events a session sees, after validation. */
export interface ResolvedTargets {
  /** Processes to trace with all their threads; empty: every process (or the cgroup's). */
  pids: number[];
  /** A cgroup v2 directory whose processes are traced. */
  cgroup?: string;
  /** A command to start held and trace from its exec. */
  command?: string[];
  /** Leave out the calling process's own events. */
  excludeSelf: boolean;
  /** Further processes whose events are left out (threads included). */
  excludePids: number[];
}

/** The kernel's pid_max: process ids are below it. */
function pidMax(): number {
  try {
    const value = Number.parseInt(readFileSync('/proc/sys/kernel/pid_max', 'utf8'), 10);
    return Number.isSafeInteger(value) && value > 1 ? value : PID_MAX_LIMIT;
  } catch {
    return PID_MAX_LIMIT;
  }
}

/** One process id, in the range the kernel hands out. */
function checkedPid(option: string, value: unknown, max: number, hint: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    const code = typeof value === 'number' ? 'BAD_OPTION_VALUE' : 'BAD_OPTION_TYPE';
    refuse(
      code,
      option,
      `${option} must be a positive process id (an integer from 1 to ${max}), got ${shown(value)}`,
      hint,
    );
  }
  return value;
}

/** A pid or a list of pids; each appears once. An empty list is refused where it would mean "all". */
function pidList(option: string, value: unknown, hint: string, emptyMeansAll: boolean): number[] {
  if (value === undefined) return [];
  const max = pidMax() - 1;
  const values: unknown[] = Array.isArray(value) ? value : [value];
  if (emptyMeansAll && Array.isArray(value) && value.length === 0) {
    refuse('BAD_OPTION_VALUE', option, `${option} is an empty list`, hint);
  }
  const pids = values.map((pid, i) => checkedPid(Array.isArray(value) ? `${option}[${i}]` : option, pid, max, hint));
  return [...new Set(pids)];
}

/** A cgroup v2 directory, given as its path under the cgroup mount. */
function cgroupOption(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const hint = "give the cgroup's directory, e.g. '/sys/fs/cgroup/system.slice/ssh.service'";
  if (typeof value !== 'string' || !isAbsolute(value)) {
    refuse('BAD_OPTION_TYPE', 'cgroup', `cgroup must be an absolute path, got ${shown(value)}`, hint);
  }
  let isDirectory: boolean;
  try {
    isDirectory = statSync(value).isDirectory();
  } catch {
    refuse('BAD_OPTION_VALUE', 'cgroup', `cgroup ${quoteInput(value)} does not exist`, hint);
  }
  if (!isDirectory) refuse('BAD_OPTION_VALUE', 'cgroup', `cgroup ${quoteInput(value)} is not a directory`, hint);
  return value;
}

/** A command line: a non-empty array of strings, the program first. */
function commandOption(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const hint = "give the program and its arguments as an array, e.g. command: ['ls', '-l']";
  if (!Array.isArray(value) || value.length === 0) {
    refuse('BAD_OPTION_TYPE', 'command', `command must be a non-empty array of strings, got ${shown(value)}`, hint);
  }
  return value.map((arg: unknown, i) => {
    if (typeof arg !== 'string' || (i === 0 && arg === '') || arg.includes('\0')) {
      refuse(
        'BAD_OPTION_VALUE',
        `command[${i}]`,
        `command[${i}] must be a string without NUL, got ${shown(arg)}`,
        hint,
      );
    }
    return arg;
  });
}

/** Checks the targeting options and refuses those that do not go together. */
export function targetOptions(options: {
  pid?: unknown;
  cgroup?: unknown;
  command?: unknown;
  excludeSelf?: unknown;
  excludePids?: unknown;
}): ResolvedTargets {
  const pids = pidList('pid', options.pid, 'leave pid out to trace every process', true);
  const cgroup = cgroupOption(options.cgroup);
  const command = commandOption(options.command);
  const excludeSelf = booleanOption('excludeSelf', options.excludeSelf, true);
  const excludePids = pidList('excludePids', options.excludePids, 'list the processes to leave out', false);
  const given = [pids.length > 0 && 'pid', cgroup !== undefined && 'cgroup', command !== undefined && 'command'];
  const chosen = given.filter((name) => name !== false);
  if (chosen.length > 1) {
    refuse(
      'CONFLICTING_OPTIONS',
      chosen[1],
      `${chosen.join(' and ')} cannot be given together`,
      'choose one: pid (processes that run), cgroup (a container or unit), or command (one to start)',
    );
  }
  return {
    pids,
    ...(cgroup === undefined ? {} : { cgroup }),
    ...(command === undefined ? {} : { command }),
    excludeSelf,
    excludePids,
  };
}
