/**
 * The files a process has mapped, from `/proc/PID/maps`, as paths this process can open.
 *
 * The kernel prints a mapped file's path as seen from the reader's root when it can reach the
 * file from there (an ordinary process, or a chroot in our mount namespace); for a process in a
 * container, whose files lie in mounts of another namespace, it prints the path inside the
 * container, which from here is reached through `/proc/PID/root`. Which one a path is, the device
 * and inode `maps` gives next to it tell: the path used is the candidate that is that file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';

/** A file a process maps. */
export interface MappedFile {
  /** The path as `/proc/PID/maps` shows it. */
  readonly mapped: string;
  /** The same file as this process reaches it: `mapped`, or `/proc/PID/root` + `mapped`. */
  readonly path: string;
}

/** One file-backed line of `maps`. */
interface MapsLine {
  readonly path: string;
  readonly major: bigint;
  readonly minor: bigint;
  readonly inode: bigint;
}

/** The kernel appends this to the path of a mapped file that was deleted or replaced since. */
export const DELETED = ' (deleted)';

/** `address perms offset major:minor inode path`; the path (which may hold spaces) after the padding. */
const MAPS_LINE = /^\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+)\s+(\d+)\s+(\/.*)$/;

function parseLine(line: string): MapsLine | undefined {
  const match = MAPS_LINE.exec(line);
  if (match === null || match[4]!.endsWith(DELETED)) return undefined;
  return {
    major: BigInt(`0x${match[1]!}`),
    minor: BigInt(`0x${match[2]!}`),
    inode: BigInt(match[3]!),
    path: match[4]!,
  };
}

/** Major and minor numbers of a `st_dev` in glibc's encoding: what `maps` and MMAP2 records show. */
export function deviceNumbers(dev: bigint): { major: bigint; minor: bigint } {
  return { major: ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn), minor: (dev & 0xffn) | ((dev >> 12n) & ~0xffn) };
}

/** True when `path` is the file `line` describes: same inode, same device. */
function isFile(path: string, line: MapsLine): boolean {
  try {
    const { dev, ino } = statSync(path, { bigint: true });
    const { major, minor } = deviceNumbers(dev);
    return ino === line.inode && major === line.major && minor === line.minor;
  } catch {
    return false;
  }
}

/** True when `pid`'s root directory is this process's (no container, no chroot). */
function sharesOurRoot(pid: number): boolean {
  try {
    const theirs = statSync(`/proc/${pid}/root`);
    const ours = statSync('/');
    return theirs.dev === ours.dev && theirs.ino === ours.ino;
  } catch {
    return false;
  }
}

/**
 * The path of `line`'s file from here: the path itself when `pid` shares our root; otherwise the
 * candidate (inside `/proc/PID/root` first) that is the mapped inode, else the first that exists.
 * (Files of overlay filesystems may show another inode than the one mapped; hence the fallback.)
 */
function reachablePath(pid: number, line: MapsLine, sharedRoot: boolean): string {
  if (sharedRoot) return line.path;
  const candidates = [`/proc/${pid}/root${line.path}`, line.path];
  return candidates.find((path) => isFile(path, line)) ?? candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/**
 * The files `pid` maps, each once, in the order `maps` lists them (the executable first, then the
 * libraries as they were loaded). Throws the file system's error when `maps` cannot be read (the
 * process is gone, or this process may not read it).
 */
export function mappedFiles(pid: number): MappedFile[] {
  const text = readFileSync(`/proc/${pid}/maps`, 'utf8');
  const sharedRoot = sharesOurRoot(pid);
  const seen = new Set<string>();
  const files: MappedFile[] = [];
  for (const row of text.split('\n')) {
    const line = parseLine(row);
    if (line === undefined || seen.has(line.path)) continue;
    seen.add(line.path);
    files.push({ mapped: line.path, path: reachablePath(pid, line, sharedRoot) });
  }
  return files;
}
