/**
 * Function names for addresses in mapped ELF files (executables and shared libraries).
 *
 * An address becomes a file offset through its mapping, the file offset an ELF virtual address
 * through the PT_LOAD segment holding it, and that address a function through the file's symbol
 * table. Each file's functions are decoded once into sorted typed arrays and cached by the
 * identity of the mapped file (device and inode), which the file read is checked against: a file
 * replaced at the same path since it was mapped must not lend its names to the old mapping, so
 * the old one is then read through `/proc/PID/map_files`, which still reaches it.
 */
import { FileSource } from '../elf/bytes.js';
import { PF_X, PT_LOAD, SHN_UNDEF, STB_LOCAL, STT_FUNC, STT_GNU_IFUNC } from '../elf/constants.js';
import { ElfFile } from '../elf/elf-file.js';
import type { SymbolTable, SymbolTableKind } from '../elf/symbols.js';
import type { SymbolHit } from './frame.js';
import type { Mapping } from './process-maps.js';

/** Where `ip` lies in `mapping`'s file: what a frame shows (`module+0xoffset`) when no symbol is known. */
export function fileOffsetOf(mapping: Mapping, ip: bigint): bigint {
  return ip - mapping.start + mapping.pageOffset;
}

/** Options for {@link ElfSymbolizer}. */
export interface ElfSymbolizerOptions {
  /** How many files' tables (and failures) to keep; the least recently used goes first. Default 128. */
  readonly maxFiles?: number;
}

/** Default for {@link ElfSymbolizerOptions.maxFiles}. */
export const DEFAULT_MAX_FILES = 128;

/**
 * How far before the nearest preceding symbol to look for one that still contains the address:
 * hand-written code (glibc's string functions) has entry points nested inside larger functions.
 */
const NESTED_LOOKBACK = 16;

/** A PT_LOAD segment's file bytes and where they are loaded. Numbers: user-space addresses fit in 2^53. */
interface Segment {
  readonly offset: number;
  readonly filesz: number;
  readonly vaddr: number;
  readonly executable: boolean;
}

/** One function symbol while a table is built. */
interface Candidate {
  readonly start: number;
  readonly size: number;
  readonly name: string;
  readonly local: boolean;
}

/** Leading underscores: `__libc_malloc` and `malloc` share an address, and `malloc` is the name people know. */
function underscores(name: string): number {
  let n = 0;
  while (name.charCodeAt(n) === 95) n++;
  return n;
}

/**
 * Which of two symbols at the same address names it: a sized one (its extent is known), then a
 * global or weak one, then the one with fewer leading underscores, then the shorter name, then
 * the alphabetically first, so the choice does not depend on table order.
 */
function preferred(a: Candidate, b: Candidate): number {
  return (
    Number(b.size > 0) - Number(a.size > 0) ||
    Number(a.local) - Number(b.local) ||
    underscores(a.name) - underscores(b.name) ||
    a.name.length - b.name.length ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** Defined function symbols (STT_FUNC and STT_GNU_IFUNC) of `table`. */
function functionsOf(table: SymbolTable): Candidate[] {
  const out: Candidate[] = [];
  for (const sym of table.all()) {
    if ((sym.type !== STT_FUNC && sym.type !== STT_GNU_IFUNC) || sym.shndx === SHN_UNDEF || sym.value === 0n) continue;
    out.push({ start: Number(sym.value), size: Number(sym.size), name: sym.name, local: sym.bind === STB_LOCAL });
  }
  return out;
}

/**
 * The functions of one file, sorted by address with one name per address, and its loadable
 * segments. `ends[i]` is where function `i` ends: its start plus its size, or for a symbol of
 * unknown size (0) the next function's start.
 */
class FunctionTable {
  /**
   * @param segments the file's PT_LOAD segments that have file bytes
   * @param starts   function start addresses, ascending, distinct
   * @param ends     function end addresses (exclusive)
   * @param names    function names
   */
  constructor(
    private readonly segments: readonly Segment[],
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    private readonly names: readonly string[],
  ) {}

  /** Decode `elf`'s functions: from .symtab when it has any, else from .dynsym. */
  static build(elf: ElfFile): FunctionTable {
    const segments = elf.programHeaders
      .filter((p) => p.type === PT_LOAD && p.filesz > 0n)
      .map((p) => ({
        offset: Number(p.offset),
        filesz: Number(p.filesz),
        vaddr: Number(p.vaddr),
        executable: (p.flags & PF_X) !== 0,
      }))
      // Code is looked up in executable segments, so those are tried first.
      .sort((a, b) => Number(b.executable) - Number(a.executable));
    let candidates: Candidate[] = [];
    for (const kind of ['symtab', 'dynsym'] satisfies SymbolTableKind[]) {
      const table = elf.symbolTable(kind);
      if (table !== null) candidates = functionsOf(table);
      if (candidates.length > 0) break;
    }
    candidates.sort((a, b) => a.start - b.start || preferred(a, b));
    const starts: number[] = [];
    const sizes: number[] = [];
    const names: string[] = [];
    for (const c of candidates) {
      // The first of each address is the preferred name; its aliases add nothing.
      if (starts.length > 0 && starts[starts.length - 1] === c.start) continue;
      starts.push(c.start);
      sizes.push(c.size);
      names.push(c.name);
    }
    const n = starts.length;
    const startArray = Float64Array.from(starts);
    const endArray = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      endArray[i] = sizes[i]! > 0 ? starts[i]! + sizes[i]! : i + 1 < n ? starts[i + 1]! : Infinity;
    }
    return new FunctionTable(segments, startArray, endArray, names);
  }

  /** The virtual address the file offset is loaded at, through the PT_LOAD segment holding it. */
  virtualAddress(offset: number): number | undefined {
    for (const s of this.segments) {
      if (offset >= s.offset && offset < s.offset + s.filesz) return offset - s.offset + s.vaddr;
    }
    return undefined;
  }

  /** The index of the function holding virtual address `vaddr`, or -1. */
  indexOf(vaddr: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= vaddr) {
        i = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    for (let j = i; j >= 0 && j >= i - NESTED_LOOKBACK; j--) {
      if (vaddr < this.ends[j]!) return j;
    }
    return -1;
  }

  /** The name of function `i`. */
  name(i: number): string {
    return this.names[i]!;
  }

  /** The start address of function `i`. */
  start(i: number): number {
    return this.starts[i]!;
  }
}

/** Major and minor numbers of a `st_dev`, in glibc's encoding (what `/proc/PID/maps` and MMAP2 give). */
function deviceNumbers(dev: bigint): { major: number; minor: number } {
  return {
    major: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)),
    minor: Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn)),
  };
}

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
    if (major === mapping.major && minor === mapping.minor) return source;
  }
  source.close();
  return undefined;
}

/** Decode the functions of the first candidate that is the mapped file; null when none is usable. */
function loadTable(mapping: Mapping, pid: number | undefined): FunctionTable | null {
  for (const path of candidatePaths(mapping, pid)) {
    const source = openIfSame(path, mapping);
    if (source === undefined) continue;
    try {
      return FunctionTable.build(new ElfFile(source));
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
  private clock = 0;

  /** @param options how many files to keep */
  constructor(options: ElfSymbolizerOptions = {}) {
    this.maxFiles = Math.max(1, options.maxFiles ?? DEFAULT_MAX_FILES);
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
    const entry: FileEntry = { table: loadTable(mapping, pid), lastUsed: ++this.clock, live: true };
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
