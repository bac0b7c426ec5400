/**
 * The processes reading a pipe we write: `perf-bridge trace | jq` must leave jq out of a
 * system-wide trace, or every line jq reads and writes becomes events that become more lines.
 */
import { type Stats, fstatSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { constants as fsConstants } from 'node:fs';

import { kernelErrorFrom } from '../errors.js';

/** What an open file must be to be the same pipe: its /proc link text, or for a named FIFO its inode. */
type PipeIdentity = { kind: 'anonymous'; link: string } | { kind: 'named'; dev: number; ino: number };

/**
 * Errors of a per-process or per-fd read that mean "skip it": the process or fd went away during
 * the scan (ENOENT, ESRCH), or /proc does not let us look (EACCES, EPERM: another user's process
 * without root). Anything else is a real failure.
 */
const SKIPPED = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM']);

function isSkipped(error: unknown): boolean {
  return SKIPPED.has((error as { code?: string }).code ?? '');
}

/** The access-mode bits of open(2) flags: O_RDONLY 0, O_WRONLY 1, O_RDWR 2. */
const ACCESS_MODE = 3;

/** How `fd` is identified in other processes' fd tables; undefined when it is no pipe. */
function pipeIdentity(fd: number): PipeIdentity | undefined {
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (error) {
    throw kernelErrorFrom(error, `finding what file descriptor ${fd} is`, {
      hint: 'pass a file descriptor this process has open (1 for stdout)',
    });
  }
  if (!stats.isFIFO()) return undefined;
  // An anonymous pipe has no name: /proc shows it as pipe:[INODE], which is its identity there.
  const link = readlinkSync(`/proc/self/fd/${fd}`);
  return link.startsWith('pipe:[') ? { kind: 'anonymous', link } : { kind: 'named', dev: stats.dev, ino: stats.ino };
}

/** Whether the fd behind `/proc/PID/fd/N` is `pipe`; throws ENOENT if it went away meanwhile. */
function isSamePipe(path: string, pipe: PipeIdentity): boolean {
  if (pipe.kind === 'anonymous') return readlinkSync(path) === pipe.link;
  // A named FIFO may be open under another path (a bind mount, another namespace): compare inodes,
  // but only for links to paths, so that sockets and anonymous inodes cost no stat.
  if (!readlinkSync(path).startsWith('/')) return false;
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats?.dev === pipe.dev && stats.ino === pipe.ino;
}

/** Whether fd `fd` of `pid` is open for reading (O_RDONLY or O_RDWR), from its fdinfo `flags:` line. */
function isOpenForReading(pid: string, fd: string): boolean {
  const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1');
  const flags = /^flags:\s*([0-7]+)$/m.exec(info);
  if (flags === null) return false;
  const mode = Number.parseInt(flags[1]!, 8) & ACCESS_MODE;
  return mode === fsConstants.O_RDONLY || mode === fsConstants.O_RDWR;
}

/** Whether process `pid` holds `pipe` open for reading; false when it exits or hides during the check. */
function readsPipe(pid: string, pipe: PipeIdentity): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (error) {
    if (isSkipped(error)) return false;
    throw kernelErrorFrom(error, `listing the open files of process ${pid}`);
  }
  for (const fd of fds) {
    try {
      if (isSamePipe(`/proc/${pid}/fd/${fd}`, pipe) && isOpenForReading(pid, fd)) return true;
    } catch (error) {
      if (!isSkipped(error)) throw kernelErrorFrom(error, `reading file descriptor ${fd} of process ${pid}`);
    }
  }
  return false;
}

/**
 * The processes (thread-group ids), other than this one, that hold the pipe behind our file
 * descriptor `fd` open for reading, sorted; [] when `fd` is no pipe (a file, a terminal, a socket).
 * Works for anonymous pipes (`cmd | jq`) and named FIFOs (`cmd > fifo`).
 *
 * Scans every process's fd table in /proc, so what it finds is a snapshot: a process that opens
 * the pipe later (a child jq forks afterwards inherits it) is not listed. Processes that exit
 * during the scan, and those /proc does not show us (another user's, without root), are skipped.
 * Costs one readlink per open fd on the system, about 4 µs each: 3 ms for 90 processes with 300
 * fds, 210 ms for 2,100 processes with 48,000 fds (measured on a 2-CPU VM, Linux 6.18).
 *
 * @throws a {@link KernelError} when `fd` is not open, or /proc cannot be listed.
 */
export function pipeReadersOf(fd: number): number[] {
  const pipe = pipeIdentity(fd);
  if (pipe === undefined) return [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (error) {
    throw kernelErrorFrom(error, 'listing the processes in /proc', { hint: 'mount /proc (mount -t proc proc /proc)' });
  }
  const self = String(process.pid);
  const readers: number[] = [];
  for (const entry of entries) {
    // /proc lists thread-group leaders only (plus files such as `self`, `meminfo`): tgids.
    if (entry === self || !/^[0-9]+$/.test(entry)) continue;
    if (readsPipe(entry, pipe)) readers.push(Number(entry));
  }
  return readers.sort((a, b) => a - b);
}
