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
import { dirname, join } from 'node:path';

import { FileSource } from '../elf/bytes.js';
import { buildIdOf, debugLinkOf } from '../elf/build-id.js';
import {
  PF_X,
  PT_LOAD,
  SHN_LORESERVE,
  SHN_UNDEF,
  STB_GLOBAL,
  STB_WEAK,
  STT_FUNC,
  STT_GNU_IFUNC,
  STT_NOTYPE,
} from '../elf/constants.js';
import { ElfFile } from '../elf/elf-file.js';
import { versionedName, type SymbolTable } from '../elf/symbols.js';
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

/** One symbol of code (a function or an assembly label) while a table is built. */
interface Candidate {
  readonly start: number;
  readonly size: number;
  /** The name perf shows: with the version a `.symtab` spells into it (`pthread_sigmask@@GLIBC_2.32`). */
  readonly name: string;
  /** `ELF64_ST_BIND`: STB_LOCAL, STB_GLOBAL, STB_WEAK… */
  readonly bind: number;
  /** Row in its table: the last word between equally good names, as in perf. */
  readonly index: number;
  /** Whether perf sees an extent: a size, or (see {@link markExtended}) one it gives a sizeless symbol. */
  sized: boolean;
}

/** Leading underscores: `__libc_malloc` and `malloc` share an address, and `malloc` is the name people know. */
function underscores(name: string): number {
  let n = 0;
  while (name.charCodeAt(n) === 95) n++;
  return n;
}

/**
 * Which of two symbols at the same address names it, by perf's rules (`choose_best_symbol` in
 * tools/perf/util/symbol.c), so frames read as in `perf script`: one with an extent; then one not
 * weak; then a global one (so a local beats a weak one: glibc's `__GI___sigprocmask` wins over the
 * weak `sigprocmask`); then fewer leading underscores; then the longer name (`__GI___read_nocancel`
 * over `__read_nocancel`); then the one earlier in the table, which perf's sorted insertion keeps.
 */
function preferred(a: Candidate, b: Candidate): number {
  return (
    Number(b.sized) - Number(a.sized) ||
    Number(a.bind === STB_WEAK) - Number(b.bind === STB_WEAK) ||
    Number(b.bind === STB_GLOBAL) - Number(a.bind === STB_GLOBAL) ||
    underscores(a.name) - underscores(b.name) ||
    b.name.length - a.name.length ||
    a.index - b.index
  );
}

/**
 * The symbols of `table` (a table of `elf`) that name code, as perf takes them: defined functions
 * (STT_FUNC, STT_GNU_IFUNC), and untyped symbols in sections named like `.text`, which is how
 * assembly labels such as ld.so's `_dl_start_user` appear. Versions are part of a `.symtab` name
 * as the linker wrote it, and perf shows them; `.dynsym` names carry theirs in `.gnu.version`,
 * which perf does not read, so they stay bare.
 */
function functionsOf(elf: ElfFile, table: SymbolTable): Candidate[] {
  const out: Candidate[] = [];
  const spelled = table.kind === 'symtab';
  let textSections: Set<number> | undefined;
  for (const sym of table.all()) {
    // Reserved indices (absolute values, common symbols) are in no section, so not in code.
    if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE || sym.value === 0n) continue;
    if (sym.type === STT_NOTYPE) {
      // perf's test is the section's name (elf_sec__is_text), not its flags.
      textSections ??= new Set(elf.sections.filter((sec) => sec.name.includes('text')).map((sec) => sec.index));
      if (!textSections.has(sym.shndx)) continue;
    } else if (sym.type !== STT_FUNC && sym.type !== STT_GNU_IFUNC) {
      continue;
    }
    out.push({
      start: Number(sym.value),
      size: Number(sym.size),
      name: spelled ? versionedName(sym) : sym.name,
      bind: sym.bind,
      index: sym.index,
      sized: sym.size > 0n,
    });
  }
  return out;
}

/**
 * Mark the sizeless symbols that perf sees with an extent. perf ends each sizeless symbol where
 * the next symbol starts, before it chooses among aliases; in its list, ordered by address and
 * then table row, the next symbol after any but the last alias at an address is another alias at
 * the same address, so only the last alias (and the very last symbol, which perf extends to a
 * page boundary) gets an extent, and with it precedence over sizeless aliases listed before it.
 * `candidates` must be sorted by start, then index.
 */
function markExtended(candidates: readonly Candidate[]): void {
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!c.sized && (i + 1 === candidates.length || candidates[i + 1]!.start !== c.start)) c.sized = true;
  }
}

/**
 * Where a detached debug file of the file at `path` may be: by build id under the debug directory,
 * then by debuglink in the file's directory, in its `.debug` subdirectory and under the debug
 * directory, as perf and gdb look (perf's `DSO_BINARY_TYPE__BUILDID_DEBUGINFO` and `__DEBUGLINK`).
 */
function debugFileCandidates(
  path: string,
  buildId: string | undefined,
  link: string | undefined,
  debugDirectory: string,
): string[] {
  const paths: string[] = [];
  // Ids are at least a byte; a shorter one could not be split into the directory and the name.
  if (buildId !== undefined && buildId.length > 2) {
    paths.push(join(debugDirectory, '.build-id', buildId.slice(0, 2), `${buildId.slice(2)}.debug`));
  }
  if (link !== undefined) {
    const dir = dirname(path);
    paths.push(join(dir, link), join(dir, '.debug', link), join(debugDirectory, dir, link));
  }
  return paths;
}

/**
 * The functions of `elf`'s detached debug file (its `.symtab`; its code sections are NOBITS, so
 * nothing else of it is used), or undefined when none is installed. When `elf` has a build id the
 * debug file must have the same one, as perf requires: a debuglink names only a file, which may
 * be left from another version of the library. Problems with a candidate make it no candidate.
 */
function debugFunctions(elf: ElfFile, path: string, debugDirectory: string): Candidate[] | undefined {
  let buildId: string | undefined;
  let link: string | undefined;
  try {
    buildId = buildIdOf(elf);
    link = debugLinkOf(elf);
  } catch {
    // Corrupt notes or sections: the file's own tables may still be fine.
    return undefined;
  }
  for (const candidate of debugFileCandidates(path, buildId, link, debugDirectory)) {
    let debug: ElfFile;
    try {
      debug = ElfFile.open(candidate);
    } catch {
      continue;
    }
    try {
      if (buildId !== undefined && buildIdOf(debug) !== buildId) continue;
      const table = debug.symbolTable('symtab');
      const functions = table === null ? [] : functionsOf(debug, table);
      if (functions.length > 0) return functions;
    } catch {
      // Unreadable or corrupt: try the next place.
    } finally {
      debug.close();
    }
  }
  return undefined;
}

/**
 * The functions `elf` is symbolized with: its `.symtab`; else its detached debug file's; else its
 * `.dynsym`, as perf falls back (a stripped file keeps only what it exports).
 */
function functionsFor(elf: ElfFile, path: string, debugDirectory: string): Candidate[] {
  const own = elf.symbolTable('symtab');
  const fromSymtab = own === null ? [] : functionsOf(elf, own);
  if (fromSymtab.length > 0) return fromSymtab;
  const fromDebug = debugFunctions(elf, path, debugDirectory);
  if (fromDebug !== undefined) return fromDebug;
  const dynsym = elf.symbolTable('dynsym');
  return dynsym === null ? [] : functionsOf(elf, dynsym);
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

  /**
   * Decode the functions of `elf`, the file mapped at `path` (see {@link functionsFor}); when
   * several share an address, the one perf would name it by (see {@link preferred}).
   */
  static build(elf: ElfFile, path: string, debugDirectory: string): FunctionTable {
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
    const candidates = functionsFor(elf, path, debugDirectory);
    candidates.sort((a, b) => a.start - b.start || a.index - b.index);
    markExtended(candidates);
    const starts: number[] = [];
    const sizes: number[] = [];
    const names: string[] = [];
    for (let i = 0; i < candidates.length;) {
      // One name per address: the best of the run of aliases starting at i.
      let best = candidates[i]!;
      let j = i + 1;
      for (; j < candidates.length && candidates[j]!.start === best.start; j++) {
        if (preferred(candidates[j]!, best) < 0) best = candidates[j]!;
      }
      starts.push(best.start);
      sizes.push(best.size);
      names.push(best.name);
      i = j;
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
