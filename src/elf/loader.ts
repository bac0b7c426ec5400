/**
 * Opening ELF files for symbol resolution, with a process-wide cache.
 *
 * A file is opened once, every table the resolver may need is decoded, and
 * the descriptor is closed before returning: callers never hold descriptors,
 * and the decoded object can be cached. The cache is validated against the
 * identity (fstat) of the descriptor we actually read, so there is no window
 * in which a file replaced between a stat and an open could be mis-cached.
 */
import { resolve as resolvePath } from 'node:path';
import { FileSource } from './bytes.js';
import { DEFAULT_CACHE_ENTRIES, FileCache } from './cache.js';
import { ElfFile } from './elf-file.js';

/** Options for {@link loadElfFile}. */
export interface LoadOptions {
  /** Use (and fill) the process-wide cache. Default true. */
  readonly cache?: boolean | undefined;
}

const cache = new FileCache<ElfFile>(DEFAULT_CACHE_ENTRIES);

/**
 * Open and fully decode the ELF file at `path` (made absolute, so the cache
 * and error messages do not depend on the working directory). The returned
 * object needs no closing. Throws ElfError for missing, unreadable, non-ELF,
 * unsupported or corrupt files.
 */
export function loadElfFile(path: string, options: LoadOptions = {}): ElfFile {
  const useCache = options.cache !== false;
  const abs = resolvePath(path);
  const source = FileSource.open(abs);
  try {
    const identity = source.identity;
    if (useCache && identity) {
      const hit = cache.get(abs, identity);
      if (hit) return hit;
    }
    const elf = new ElfFile(source).loadAll();
    if (useCache && identity) cache.set(abs, identity, elf);
    return elf;
  } finally {
    source.close();
  }
}

/** Drop every cached file (tests, or to release memory). */
export function clearElfCache(): void {
  cache.clear();
}

/** How many files the cache currently holds (for tests and diagnostics). */
export function elfCacheSize(): number {
  return cache.size;
}
