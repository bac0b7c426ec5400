/**
 * Function names for addresses in mapped ELF files (executables and shared libraries).
 *
 * An address becomes a file offset through its mapping, the file offset an ELF virtual address
 * through the PT_LOAD segment holding it, and that address a function through the file's symbol
 * table. Each file's functions are decoded once into sorted typed arrays and cached by the
 * identity of the mapped file (device and inode), which the file read is checked against: a file
 * replaced at the same path since it was mapped must not lend its names to the old mapping, so
 * the old one is then read through `/proc/PID/map_files`, which still reaches it.
 *
 * A file stripped to `.dynsym` (Debian's libc and ld.so) names only its exported functions; its
 * full `.symtab` may be installed as a detached debug file (`libc6-dbg`), which is then read the
 * way perf reads it, so that frames get the names `perf script` prints.
 */
import { FileSource } from '../elf/bytes.js';
import { deviceNumbers } from '../elf/proc-maps.js';
import { ElfFile } from '../elf/elf-file.js';
import type { SymbolHit } from './frame.js';
import type { Mapping } from './process-maps.js';
import { FunctionTable } from './function-table.js';

/** Where `ip` lies in `mapping`'s file: what a frame shows (`module+0xoffset`) when no symbol is known. */
export function fileOffsetOf(mapping: Mapping, ip: bigint): bigint {
  return ip - mapping.start + mapping.pageOffset;
}

/** Options for {@link ElfSymbolizer}. */
export interface ElfSymbolizerOptions {
  /** How many files' tables (and failures) to keep; the least recently used goes first. Default 128. */
  readonly maxFiles?: number;
  /**
   * Where detached debug files are installed: `.build-id/xx/rest.debug` under it by build id, and
   * the file's own directory under it by debuglink. Default {@link DEFAULT_DEBUG_DIRECTORY}.
   */
  readonly debugDirectory?: string;
}

/** Default for {@link ElfSymbolizerOptions.maxFiles}. */
export const DEFAULT_MAX_FILES = 128;

/** Default for {@link ElfSymbolizerOptions.debugDirectory}: where perf, gdb and the distributions look. */
export const DEFAULT_DEBUG_DIRECTORY = '/usr/lib/debug';

/** True when the mapping carries the identity of its file (records without it say 0). */
function hasIdentity(mapping: Mapping): boolean {
  return mapping.inode !== 0n;
}

/** The cache key of a mapped file: its identity, or its path when the identity is unknown. */
function fileKey(mapping: Mapping): string {
  return hasIdentity(mapping) ? `${mapping.major}:${mapping.minor}:${mapping.inode}` : `path:${mapping.path}`;
}

/**
 * Where the mapped file may be read from here, most direct first: its path; the same path inside
 * the process's root (a container or chroot); and the process's handle on the mapping itself,
 * which reaches the file even once it was deleted or replaced (while the process lives).
 */
function candidatePaths(mapping: Mapping, pid: number | undefined): string[] {
  if (!mapping.path.startsWith('/')) return [];
  const paths = [mapping.path];
  if (pid !== undefined) {
    paths.push(`/proc/${pid}/root${mapping.path}`);
    paths.push(`/proc/${pid}/map_files/${mapping.start.toString(16)}-${mapping.end.toString(16)}`);
  }
  return paths;
}

/**
 * The file at `path` opened, when it is the mapped file (same device and inode; any file when the
 * mapping does not say which); undefined when it cannot be opened or is another file.
 */
function openIfSame(path: string, mapping: Mapping): FileSource | undefined {
  let source: FileSource;
  try {
    source = FileSource.open(path);
  } catch {
    return undefined;
  }
  if (!hasIdentity(mapping)) return source;
  const id = source.identity;
  if (id?.ino === mapping.inode) {
    const { major, minor } = deviceNumbers(id.dev);
    if (major === BigInt(mapping.major) && minor === BigInt(mapping.minor)) return source;
  }
  source.close();
  return undefined;
}

/**
 * Decode the functions of the first candidate that is the mapped file; null when none is usable.
 * A debuglink is looked for next to the mapping's path, whichever path the file was read through.
 */
function loadTable(mapping: Mapping, pid: number | undefined, debugDirectory: string): FunctionTable | null {
  for (const path of candidatePaths(mapping, pid)) {
    const source = openIfSame(path, mapping);
    if (source === undefined) continue;
    try {
      return FunctionTable.build(new ElfFile(source), mapping.path, debugDirectory);
    } catch {
      // Not ELF, unsupported or corrupt: the other paths reach the same file, so they would fail too.
      return null;
    } finally {
      source.close();
    }
  }
  return null;
}

/** A cached file: its table (null when it cannot be symbolized) and when it was last used. */
interface FileEntry {
  table: FunctionTable | null;
  lastUsed: number;
  /** False once evicted: mappings that still point at the entry must look the file up again. */
  live: boolean;
}

/**
 * Resolves addresses in file-backed mappings to function symbols of the mapped ELF files.
 * Decoded files (and files that could not be used) are cached by device and inode, the least
 * recently used dropped beyond {@link ElfSymbolizerOptions.maxFiles}.
 */
export class ElfSymbolizer {
  private readonly files = new Map<string, FileEntry>();
  /**
   * Each Mapping object's entry, so a lookup costs no key string: a process's Mapping objects are
   * reused for all its frames. (A Mapping must not be changed once resolved against.)
   */
  private readonly byMapping = new WeakMap<Mapping, FileEntry>();
  private readonly maxFiles: number;
  private readonly debugDirectory: string;
  private clock = 0;

  /** @param options how many files to keep, and where debug files are installed */
  constructor(options: ElfSymbolizerOptions = {}) {
    this.maxFiles = Math.max(1, options.maxFiles ?? DEFAULT_MAX_FILES);
    this.debugDirectory = options.debugDirectory ?? DEFAULT_DEBUG_DIRECTORY;
  }

  /**
   * The function of `mapping`'s file that holds `ip` (an address inside `mapping`), with `module`
   * set to the mapping's path; undefined when the file has no symbol there or cannot be read.
   * `pid`, the process that maps it, lets the file be reached through `/proc/PID` when its path
   * no longer leads to it. Never throws.
   */
  resolve(mapping: Mapping, ip: bigint, pid?: number): SymbolHit | undefined {
    try {
      let entry = this.byMapping.get(mapping);
      if (entry?.live !== true) {
        entry = this.entryFor(mapping, pid);
        this.byMapping.set(mapping, entry);
      }
      entry.lastUsed = ++this.clock;
      const table = entry.table;
      if (table === null) return undefined;
      const offset = fileOffsetOf(mapping, ip);
      if (offset < 0n) return undefined;
      const vaddr = table.virtualAddress(Number(offset));
      if (vaddr === undefined) return undefined;
      const i = table.indexOf(vaddr);
      return i < 0 ? undefined : { symbol: table.name(i), offset: vaddr - table.start(i), module: mapping.path };
    } catch {
      // A symbol source that cannot answer leaves the frame unnamed; it must not fail the batch.
      return undefined;
    }
  }

  /** How many files (usable or not) are cached; for diagnostics and tests. */
  get cachedFiles(): number {
    return this.files.size;
  }

  /** The cache entry of `mapping`'s file, decoding the file on first use. */
  private entryFor(mapping: Mapping, pid: number | undefined): FileEntry {
    const key = fileKey(mapping);
    const cached = this.files.get(key);
    if (cached !== undefined) return cached;
    const entry: FileEntry = {
      table: loadTable(mapping, pid, this.debugDirectory),
      lastUsed: ++this.clock,
      live: true,
    };
    this.files.set(key, entry);
    if (this.files.size > this.maxFiles) this.evictLeastRecentlyUsed();
    return entry;
  }

  /** Drop the entry used longest ago (a scan: evictions happen only when a file is loaded). */
  private evictLeastRecentlyUsed(): void {
    let oldestKey: string | undefined;
    let oldest = Infinity;
    for (const [key, entry] of this.files) {
      if (entry.lastUsed < oldest) {
        oldest = entry.lastUsed;
        oldestKey = key;
      }
    }
    if (oldestKey === undefined) return;
    const entry = this.files.get(oldestKey)!;
    this.files.delete(oldestKey);
    entry.live = false;
    // Mappings may keep the entry reachable; its table should not stay with it.
    entry.table = null;
  }
}
