/**
 * A small least-recently-used cache of parsed files, keyed by path and
 * validated by file identity (device, inode, size, mtime, ctime).
 *
 * Resolving several probes in the same binary (or libc again and again) would
 * otherwise re-read and re-decode its symbol tables every time. The identity
 * check makes a rebuilt or upgraded file miss the cache even when its path is
 * unchanged; the size bound keeps memory flat for long-running processes.
 */
import { sameIdentity, type FileIdentity } from './bytes.js';

/** Default number of files kept. */
export const DEFAULT_CACHE_ENTRIES = 8;

/** LRU map from path to a value derived from that exact version of the file. */
export class FileCache<T> {
  private readonly entries = new Map<string, { identity: FileIdentity; value: T }>();

  /** @param maxEntries how many files to keep before evicting the oldest */
  constructor(readonly maxEntries = DEFAULT_CACHE_ENTRIES) {}

  /** The cached value for `path` if it was computed from the same file version. */
  get(path: string, identity: FileIdentity): T | undefined {
    const hit = this.entries.get(path);
    if (!hit) return undefined;
    if (!sameIdentity(hit.identity, identity)) {
      this.entries.delete(path);
      return undefined;
    }
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.entries.delete(path);
    this.entries.set(path, hit);
    return hit.value;
  }

  /** Remember `value` for this version of `path`, evicting the oldest entry if full. */
  set(path: string, identity: FileIdentity, value: T): void {
    this.entries.delete(path);
    this.entries.set(path, { identity, value });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value!;
      this.entries.delete(oldest);
    }
  }

  /** Forget everything. */
  clear(): void {
    this.entries.clear();
  }

  /** Number of files currently cached. */
  get size(): number {
    return this.entries.size;
  }
}
