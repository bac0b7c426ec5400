/**
 * Process names from /proc, to seed a comm table: events name tasks by tid only, and a task that
 * neither execs nor renames itself while traced never says its name in an event.
 */
import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';

import { OptionError, kernelErrorFrom } from '../errors.js';

/** The name of one thread and the process (thread group) it belongs to. */
export interface ThreadComm {
  /** The process id (thread-group id) of the thread. */
  pid: number;
  /** The thread's name (`comm`) as /proc shows it, without the trailing newline. */
  comm: string;
}

/** Errors that mean the task exited (or hid) during the scan: skip it. */
const GONE = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM']);

function isGone(error: unknown): boolean {
  return GONE.has((error as { code?: string }).code ?? '');
}

/**
 * One buffer for every comm read: a comm is at most 15 bytes (TASK_COMM_LEN), a kernel thread's
 * full name at most 63; a longer one is read in further chunks.
 */
const buffer = Buffer.alloc(256);

/**
 * The text of the small /proc file `path` without its trailing newline: open, read, close, and no
 * fstat or growing buffer as readFileSync does, since a scan reads one file per thread.
 */
function readSmallFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let text = '';
    for (let length; (length = readSync(fd, buffer, 0, buffer.length, null)) > 0;) {
      // comm is raw bytes; decoded as the event decoder decodes char arrays (UTF-8), to match them.
      text += buffer.toString('utf8', 0, length);
    }
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  } finally {
    closeSync(fd);
  }
}

/** Adds the threads of process `tgid` to `comms`; skips what exits during the scan. */
function addThreads(tgid: number, comms: Map<number, ThreadComm>): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${tgid}/task`);
  } catch (error) {
    if (isGone(error)) return;
    throw kernelErrorFrom(error, `listing the threads of process ${tgid}`);
  }
  for (const tid of tids) {
    try {
      comms.set(Number(tid), { pid: tgid, comm: readSmallFile(`/proc/${tgid}/task/${tid}/comm`) });
    } catch (error) {
      if (!isGone(error)) throw kernelErrorFrom(error, `reading the name of thread ${tid} of process ${tgid}`);
    }
  }
}

/** Every process id (thread-group leader) /proc lists. */
function allProcesses(): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^[0-9]+$/.test(entry))
      .map(Number);
  } catch (error) {
    throw kernelErrorFrom(error, 'listing the processes in /proc', { hint: 'mount /proc (mount -t proc proc /proc)' });
  }
}

/** The thread-group id of `pid` (itself for a process, its process for a thread); undefined if gone. */
function threadGroupOf(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch (error) {
    if (isGone(error)) return undefined;
    throw kernelErrorFrom(error, `reading /proc/${pid}/status`);
  }
  const tgid = /^Tgid:\s*(\d+)$/m.exec(status);
  return tgid ? Number(tgid[1]) : undefined;
}

function checkPids(pids: readonly unknown[]): void {
  for (const pid of pids) {
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 1 || pid >= 2 ** 31) {
      throw new OptionError(`pids must be positive integer process ids, got ${String(pid)}`, {
        code: typeof pid === 'number' ? 'BAD_OPTION_VALUE' : 'BAD_OPTION_TYPE',
        option: 'pid',
        hint: 'pass the ids of running processes, or no list to read every process',
      });
    }
  }
}

/**
 * The names of threads, keyed by thread id: of every process on the system, or only of the
 * processes `pids` (each may also be a thread id: its whole process is read). A snapshot: tasks
 * that exit during the scan, and pids that do not exist, are left out without an error; tasks
 * /proc hides from us (hidepid without root) are left out too.
 *
 * Costs one open+read+close per thread and a directory listing per process, about 25 µs per
 * thread: 2-4 ms for 150 threads, 50 ms for 2,150 (measured on a 2-CPU VM, Linux 6.18).
 *
 * @throws {@link OptionError} (option `pid`) for a pid that is not a positive integer; a
 *   {@link KernelError} when /proc cannot be read at all.
 */
export function readComms(pids?: readonly number[]): Map<number, ThreadComm> {
  const comms = new Map<number, ThreadComm>();
  if (pids === undefined) {
    for (const tgid of allProcesses()) addThreads(tgid, comms);
    return comms;
  }
  checkPids(pids);
  const groups = new Set<number>();
  for (const pid of pids) {
    const tgid = threadGroupOf(pid);
    if (tgid !== undefined) groups.add(tgid);
  }
  for (const tgid of groups) addThreads(tgid, comms);
  return comms;
}
