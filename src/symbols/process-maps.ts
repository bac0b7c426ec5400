/**
 * Which file an instruction address lies in, per process: the executable mappings of every
 * process a capture sees, kept current from side-band records (MMAP2, FORK, EXEC, EXIT).
 *
 * A process that existed before the capture started has no side-band history, so its mappings
 * are read from `/proc/PID/maps` the first time anything asks about it. Exited processes are kept
 * for a while: a batch is decoded after the fact, and its events must still symbolize when the
 * process is gone by then.
 */
import { readFileSync } from 'node:fs';

import { DELETED } from '../elf/proc-maps.js';

/** One executable mapping of a file (or of `[vdso]`) into a process. */
export interface Mapping {
  /** First address of the mapping. */
  start: bigint;
  /** First address past the mapping (exclusive). */
  end: bigint;
  /** The file offset mapped at `start`. */
  pageOffset: bigint;
  /** The file's path as the kernel printed it (without a ` (deleted)` suffix), or `[vdso]`. */
  path: string;
  /** Major number of the device holding the file (0 when unknown). */
  major: number;
  /** Minor number of the device holding the file (0 when unknown). */
  minor: number;
  /** The file's inode number (0 when unknown). */
  inode: bigint;
}

/** Options for {@link ProcessMappings}. */
export interface ProcessMappingsOptions {
  /** How many exited processes keep their mappings (the oldest exit is forgotten first). Default 256. */
  readonly maxExited?: number;
}

/** Default for {@link ProcessMappingsOptions.maxExited}. */
export const DEFAULT_MAX_EXITED = 256;

/** The kernel appends this to the path of a mapped file that was deleted or replaced since. */

/** `start-end perms offset major:minor inode [path]`; the path (which may hold spaces) after the padding. */
const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) ([0-9a-f]+):([0-9a-f]+) (\d+)\s*(.*)$/;

/**
 * The executable mappings of `/proc/PID/maps` text, sorted by start (the kernel lists them so).
 * Anonymous ones (JIT code, and `[vsyscall]`, which lies outside every process's own layout) are left
 * out; `[vdso]` is kept so its frames say where they are.
 */
export function parseExecutableMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const row of text.split('\n')) {
    const m = MAPS_LINE.exec(row);
    if (m?.[3]?.includes('x') !== true) continue;
    let path = m[8]!;
    if (path.endsWith(DELETED)) path = path.slice(0, -DELETED.length);
    if (!path.startsWith('/') && path !== '[vdso]') continue;
    out.push({
      start: BigInt(`0x${m[1]!}`),
      end: BigInt(`0x${m[2]!}`),
      pageOffset: BigInt(`0x${m[4]!}`),
      major: parseInt(m[5]!, 16),
      minor: parseInt(m[6]!, 16),
      inode: BigInt(m[7]!),
      path,
    });
  }
  return out;
}

/** The executable mappings of `pid` now, or undefined when the process is gone or not ours to read. */
function readProcMaps(pid: number): Mapping[] | undefined {
  try {
    return parseExecutableMaps(readFileSync(`/proc/${pid}/maps`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Index of the last mapping in `list` (sorted by start) that starts at or before `ip`, or -1. */
function lastStartingAtOrBefore(list: readonly Mapping[], ip: bigint): number {
  let lo = 0;
  let hi = list.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.start <= ip) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * `list` with `added` mapped over it: what `added` overlaps is cut away (a mapping partly covered
 * keeps its uncovered head and tail, as the kernel splits it), and the result stays sorted.
 */
function withMapping(list: readonly Mapping[], added: Mapping): Mapping[] {
  const out: Mapping[] = [];
  let placed = false;
  for (const m of list) {
    if (m.end <= added.start || m.start >= added.end) {
      if (!placed && m.start >= added.end) {
        out.push(added);
        placed = true;
      }
      out.push(m);
      continue;
    }
    if (m.start < added.start) out.push({ ...m, end: added.start });
    if (!placed) {
      out.push(added);
      placed = true;
    }
    if (m.end > added.end) out.push({ ...m, start: added.end, pageOffset: m.pageOffset + (added.end - m.start) });
  }
  if (!placed) out.push(added);
  return out;
}

/**
 * The executable mappings of each process, for finding which file an address lies in.
 *
 * A process's list is never changed in place (every change makes a new array), so a forked child
 * can share its parent's list until either of them maps something: forking is then free.
 */
export class ProcessMappings {
  /** Per pid, its mappings sorted by start and not overlapping. Present = known (maybe empty). */
  private readonly byPid = new Map<number, readonly Mapping[]>();
  /** Exited pids, oldest exit first (a Set keeps insertion order): the retention queue. */
  private readonly exitedPids = new Set<number>();
  private readonly maxExited: number;

  /** @param options how many exited processes to remember */
  constructor(options: ProcessMappingsOptions = {}) {
    this.maxExited = Math.max(0, options.maxExited ?? DEFAULT_MAX_EXITED);
  }

  /**
   * Reads `/proc/PID/maps` for `pid` and takes its executable mappings as the process's, replacing
   * what was known. A process that is gone (or unreadable) gets an empty list, remembered like an
   * exited process's, so its events do not re-read `/proc` each time.
   */
  seed(pid: number): void {
    const maps = readProcMaps(pid);
    this.byPid.set(pid, maps ?? []);
    if (maps === undefined) this.markExited(pid);
    else this.exitedPids.delete(pid);
  }

  /**
   * A PERF_RECORD_MMAP2 of an executable mapping (the caller filters on PROT_EXEC). The new
   * mapping replaces whatever it overlaps. A pid not seen before existed before the capture (its
   * other mappings have no records), so it is seeded from `/proc` first.
   */
  mapped(pid: number, mapping: Mapping): void {
    const known = this.byPid.get(pid) ?? readProcMaps(pid) ?? [];
    this.byPid.set(pid, withMapping(known, mapping));
    // Mapping something means the pid is alive (again, if the number was reused).
    this.exitedPids.delete(pid);
  }

  /**
   * A PERF_RECORD_FORK of a new process (not of a thread: pass process ids, and skip records whose
   * pid equals their ppid). The child starts with its parent's mappings.
   */
  forked(parentPid: number, childPid: number): void {
    if (parentPid === childPid) return;
    if (!this.byPid.has(parentPid)) this.seed(parentPid);
    const inherited = this.byPid.get(parentPid) ?? [];
    // A parent we know nothing of (gone before we could read it): the child may still be readable.
    if (inherited.length === 0) {
      this.seed(childPid);
      return;
    }
    this.byPid.set(childPid, inherited);
    this.exitedPids.delete(childPid);
  }

  /** A PERF_RECORD_COMM with the exec flag: the old image is gone; its new mappings follow as MMAP2 records. */
  exec(pid: number): void {
    this.byPid.set(pid, []);
    this.exitedPids.delete(pid);
  }

  /**
   * A PERF_RECORD_EXIT of a process (not of one of its threads: pid = tid). Its mappings stay until {@link ProcessMappingsOptions.maxExited}
   * later exits: events it produced may still be waiting to be symbolized.
   */
  exited(pid: number): void {
    if (this.byPid.has(pid)) this.markExited(pid);
  }

  /**
   * The mapping of process `pid` (a process id, not a thread id) that holds `ip`, or undefined. A
   * pid with no known mappings is read from `/proc` first (a process that was running before the
   * capture started).
   */
  find(pid: number, ip: bigint): Mapping | undefined {
    let list = this.byPid.get(pid);
    if (list === undefined) {
      this.seed(pid);
      list = this.byPid.get(pid) ?? [];
    }
    const i = lastStartingAtOrBefore(list, ip);
    if (i < 0) return undefined;
    const m = list[i]!;
    return ip < m.end ? m : undefined;
  }

  /** The mappings known for `pid`, sorted by start (empty when none). */
  mappings(pid: number): readonly Mapping[] {
    return this.byPid.get(pid) ?? [];
  }

  /** Whether anything is known about `pid` (it was seeded, mapped, forked, or exec'd). */
  knows(pid: number): boolean {
    return this.byPid.has(pid);
  }

  /** Queue `pid` for forgetting, and forget the oldest exited processes beyond the bound. */
  private markExited(pid: number): void {
    // Re-inserting moves an exit that is reported again to the back of the queue.
    this.exitedPids.delete(pid);
    this.exitedPids.add(pid);
    while (this.exitedPids.size > this.maxExited) {
      const oldest = this.exitedPids.values().next().value!;
      this.exitedPids.delete(oldest);
      this.byPid.delete(oldest);
    }
  }
}
