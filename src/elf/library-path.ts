/**
 * Library names in uprobe targets (`libc:malloc`, `libc.so.6:malloc`), resolved to files the way
 * bpftrace and bcc resolve them: first the library a traced process really mapped
 * (`/proc/PID/maps`, through `/proc/PID/root` for a process in a container), then the ld.so cache,
 * the index the dynamic linker itself searches. A target with a `/` is a path and is never looked up.
 */
import { basename } from 'node:path';

import { isHostLibrary, LD_SO_CACHE, readLdCache, type LdCacheEntry } from './ld-cache.js';
import { ElfError } from './errors.js';
import { mappedFiles } from './proc-maps.js';
import { suggestNames } from './suggest.js';
import { cutInput } from '../errors.js';

/** Where a library name was found. */
export interface ResolvedLibrary {
  /** The file to probe, as this process (and the kernel, on its behalf) opens it. */
  readonly path: string;
  /** `process`: a traced process maps it; `ld.so.cache`: the cache lists it. */
  readonly source: 'process' | 'ld.so.cache';
  /** The process that maps it, for source `process`. */
  readonly pid?: number;
}

/** Options of {@link resolveLibraryPath}. */
export interface LibraryLookup {
  /** Processes whose mapped libraries are searched first, in this order (default none). */
  readonly pids?: readonly number[] | undefined;
  /** The ld.so cache to search (default /etc/ld.so.cache). */
  readonly ldCache?: string | undefined;
}

/** True when a uprobe target names a library rather than a file: it has no `/`. */
export function isLibraryName(target: string): boolean {
  return !target.includes('/');
}

/**
 * How well the file name `file` answers to the library name `name`, lower is better: 0 the same
 * name, 1 NAME.so… (`libc` → `libc.so.6`), 2 another version or suffix (`libc.so` → `libc.so.6`,
 * `libpthread` → `libpthread-2.31.so`); undefined when it does not. As in bcc, a name without the
 * `lib` prefix also means the prefixed one (`c` → `libc.so.6`).
 */
export function libraryMatchRank(file: string, name: string): number | undefined {
  const stems = name.startsWith('lib') ? [name] : [name, `lib${name}`];
  let best: number | undefined;
  for (const stem of stems) {
    let rank: number | undefined;
    const rest = file.startsWith(stem) ? file.slice(stem.length) : undefined;
    if (rest === '') rank = 0;
    else if (rest?.startsWith('.so') === true) rank = 1;
    else if (rest !== undefined && /^[.-]/.test(rest) && /\.so(\.|$)/.test(file)) rank = 2;
    if (rank !== undefined && (best === undefined || rank < best)) best = rank;
  }
  return best;
}

/** The first of `items` with the best rank, or undefined when none matches. */
function bestMatch<T>(items: readonly T[], rankOf: (item: T) => number | undefined): T | undefined {
  let best: { item: T; rank: number } | undefined;
  for (const item of items) {
    const rank = rankOf(item);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { item, rank };
  }
  return best?.item;
}

function minRank(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** What one place searched held, for the error when nothing matched anywhere. */
interface Searched {
  readonly description: string;
  readonly names: readonly string[];
}

/** The library `name` among the files `pid` maps; what was searched goes to `searched`. */
function inProcess(name: string, pid: number, searched: Searched[]): ResolvedLibrary | undefined {
  let files;
  try {
    files = mappedFiles(pid);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const why = code === 'ENOENT' ? 'no such process' : code;
    searched.push({ description: `/proc/${pid}/maps could not be read (${why})`, names: [] });
    return undefined;
  }
  const found = bestMatch(files, (file) => libraryMatchRank(basename(file.mapped), name));
  if (found !== undefined) return { path: found.path, source: 'process', pid };
  const names = files.map((file) => basename(file.mapped));
  searched.push({ description: `process ${pid} maps ${names.length} files, none of that name`, names });
  return undefined;
}

/** The library `name` in the ld.so cache at `file`; what was searched goes to `searched`. */
function inLdCache(name: string, file: string, searched: Searched[]): ResolvedLibrary | undefined {
  let entries: LdCacheEntry[];
  try {
    entries = readLdCache(file).filter(isHostLibrary);
  } catch (error) {
    searched.push({ description: (error as Error).message.split('\n')[0] ?? String(error), names: [] });
    return undefined;
  }
  const rank = (entry: LdCacheEntry) =>
    minRank(libraryMatchRank(entry.soname, name), libraryMatchRank(basename(entry.path), name));
  const found = bestMatch(entries, rank);
  if (found !== undefined) return { path: found.path, source: 'ld.so.cache' };
  const names = entries.map((entry) => entry.soname);
  searched.push({ description: `${file} lists ${names.length} libraries, none of that name`, names });
  return undefined;
}

/** A library's name without its `.so…` tail (`libc.so.6` → `libc`), the form a near miss is compared in. */
function stem(file: string): string {
  return file.replace(/\.so(\..*)?$/, '');
}

function notFound(name: string, searched: readonly Searched[]): ElfError {
  const suggestions = suggestNames(
    stem(name),
    searched.flatMap((s) => s.names.map(stem)),
  );
  const didYouMean = suggestions.length > 0 ? `did you mean ${suggestions.join(', ')}? Otherwise ` : '';
  return new ElfError(
    'LIBRARY_NOT_FOUND',
    `No library named "${cutInput(name)}": ${searched.map((s) => s.description).join('; ')}.`,
    {
      path: name,
      suggestions,
      hint:
        `${didYouMean}give the file's full path (\`ldconfig -p\` lists the installed libraries, ` +
        '/proc/PID/maps those a process loaded); a program or a file in the current directory needs a path ' +
        `with a '/' (\`command -v ${cutInput(name)}\`, ./${cutInput(name)})`,
    },
  );
}

/**
 * The file a library name (`libc`, `libc.so.6`, `c`) stands for: the best match among the files
 * the first of `pids` that maps one has mapped, else the first best match in the ld.so cache.
 *
 * @throws ElfError `LIBRARY_NOT_FOUND`, naming every place searched, when nothing matches.
 */
export function resolveLibraryPath(name: string, options: LibraryLookup = {}): ResolvedLibrary {
  const searched: Searched[] = [];
  for (const pid of options.pids ?? []) {
    const found = inProcess(name, pid, searched);
    if (found !== undefined) return found;
  }
  const found = inLdCache(name, options.ldCache ?? LD_SO_CACHE, searched);
  if (found !== undefined) return found;
  throw notFound(name, searched);
}
