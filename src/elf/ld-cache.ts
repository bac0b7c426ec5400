/**
 * Reading `/etc/ld.so.cache`, the index of shared libraries that `ldconfig` writes and the dynamic
 * linker searches, so a uprobe can name `libc` or `libc.so.6` instead of a full path.
 *
 * Two layouts exist (glibc elf/cache.c, sysdeps/generic/dl-cache.h):
 * - the old one, `ld.so-1.7.0`: a 16-byte header, then 12-byte entries (flags, key, value), whose
 *   string offsets count from the end of the entry array;
 * - the new one, `glibc-ld.so.cache1.1`: a 48-byte header, then 24-byte entries (flags, key, value,
 *   osversion, hwcap), whose string offsets count from the start of that header. glibc 2.32 and
 *   later write only this one; older ldconfig wrote it after the old one, 8-byte aligned.
 * Parsing reads the file with bounds checks and never trusts a count or offset in it.
 */
import { readFileSync } from 'node:fs';

import { ElfError } from './errors.js';
import { cutInput } from '../errors.js';

/** Where ldconfig writes the cache. */
export const LD_SO_CACHE = '/etc/ld.so.cache';

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const OLD_HEADER_SIZE = 16;
const OLD_ENTRY_SIZE = 12;
const NEW_HEADER_SIZE = 48;
const NEW_ENTRY_SIZE = 24;
/** cache_file_new.flags: how the writer stored integers. */
const ENDIAN_BIG = 3;
/** An hwcap with this bit names a glibc-hwcaps subdirectory (x86-64-v3, …) the CPU may not support. */
const HWCAP_EXTENSION = 1n << 62n;

/** One library the cache lists. */
export interface LdCacheEntry {
  /** The name the dynamic linker looks for: the library's soname (`libc.so.6`). */
  readonly soname: string;
  /** The file it loads for that name. */
  readonly path: string;
  /** FLAG_ELF_LIBC6 and the ABI bits (`0x0303`: libc6, x86-64). */
  readonly flags: number;
  /** The hardware capabilities the entry needs; 0 for the plain one. */
  readonly hwcap: bigint;
}

/**
 * The flags of the libraries this process can load: FLAG_ELF_LIBC6 (3) and the ABI's bits
 * (dl-cache.h: x86-64 0x0300, AArch64 0x0a00, …); undefined when only the type can be checked.
 */
function hostFlags(): number | undefined {
  switch (process.arch) {
    case 'x64':
      return 0x0303;
    case 'arm64':
      return 0x0a03;
    case 'ppc64':
      return 0x0503;
    case 's390x':
      return 0x0403;
    default:
      return undefined;
  }
}

/** True when the entry is a library of this process's ABI that needs no particular CPU feature. */
export function isHostLibrary(entry: LdCacheEntry): boolean {
  const wanted = hostFlags();
  const typeOk = wanted === undefined ? (entry.flags & 0xff) === 3 : entry.flags === wanted;
  return typeOk && (entry.hwcap & HWCAP_EXTENSION) === 0n;
}

function corruptCache(file: string, what: string): ElfError {
  return new ElfError('CORRUPT_LD_CACHE', `${cutInput(file)} is not a valid ld.so cache: ${what}.`, {
    path: file,
    hint: 'run `ldconfig` (as root) to rewrite it, or give the library by its full path',
  });
}

/** The NUL-terminated string at `at`, or undefined when it runs past the end. */
function stringAt(bytes: Buffer, at: number): string | undefined {
  if (at < 0 || at >= bytes.length) return undefined;
  const end = bytes.indexOf(0, at);
  return end < 0 ? undefined : bytes.toString('utf8', at, end);
}

function startsWith(bytes: Buffer, at: number, magic: string): boolean {
  return bytes.length >= at + magic.length && bytes.toString('latin1', at, at + magic.length) === magic;
}

/** The entries of a new-format table whose header starts at `base`. */
function parseNew(bytes: Buffer, base: number, file: string): LdCacheEntry[] {
  if (bytes.length < base + NEW_HEADER_SIZE) throw corruptCache(file, 'the header is cut short');
  if (bytes.readUInt8(base + 28) === ENDIAN_BIG) throw corruptCache(file, 'it was written big-endian');
  const count = bytes.readUInt32LE(base + 20);
  if (count > (bytes.length - base - NEW_HEADER_SIZE) / NEW_ENTRY_SIZE) {
    throw corruptCache(file, `it claims ${count} entries, more than the file holds`);
  }
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = base + NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
    const soname = stringAt(bytes, base + bytes.readUInt32LE(at + 4));
    const path = stringAt(bytes, base + bytes.readUInt32LE(at + 8));
    if (soname === undefined || path === undefined) throw corruptCache(file, `entry ${i} points outside the file`);
    entries.push({ soname, path, flags: bytes.readInt32LE(at), hwcap: bytes.readBigUInt64LE(at + 16) });
  }
  return entries;
}

/** The entries of an old-format file (when no new-format table follows it). */
function parseOld(bytes: Buffer, file: string): LdCacheEntry[] {
  if (bytes.length < OLD_HEADER_SIZE) throw corruptCache(file, 'the header is cut short');
  const count = bytes.readUInt32LE(12);
  if (count > (bytes.length - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE) {
    throw corruptCache(file, `it claims ${count} entries, more than the file holds`);
  }
  const strings = OLD_HEADER_SIZE + count * OLD_ENTRY_SIZE;
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = OLD_HEADER_SIZE + i * OLD_ENTRY_SIZE;
    const soname = stringAt(bytes, strings + bytes.readUInt32LE(at + 4));
    const path = stringAt(bytes, strings + bytes.readUInt32LE(at + 8));
    if (soname === undefined || path === undefined) throw corruptCache(file, `entry ${i} points outside the file`);
    entries.push({ soname, path, flags: bytes.readInt32LE(at), hwcap: 0n });
  }
  return entries;
}

/**
 * The entries of an ld.so cache, in the file's order (ldconfig sorts them as the dynamic linker
 * searches them, so the first match is the one it loads). Throws {@link ElfError}
 * `CORRUPT_LD_CACHE` for anything that is not a cache of either layout.
 */
export function parseLdCache(bytes: Buffer, file = LD_SO_CACHE): LdCacheEntry[] {
  if (startsWith(bytes, 0, NEW_MAGIC)) return parseNew(bytes, 0, file);
  if (!startsWith(bytes, 0, OLD_MAGIC)) throw corruptCache(file, 'it starts with neither known magic');
  if (bytes.length >= OLD_HEADER_SIZE) {
    const oldEnd = OLD_HEADER_SIZE + bytes.readUInt32LE(12) * OLD_ENTRY_SIZE;
    const newStart = Math.ceil(oldEnd / 8) * 8;
    if (startsWith(bytes, newStart, NEW_MAGIC)) return parseNew(bytes, newStart, file);
  }
  return parseOld(bytes, file);
}

/** Reads and parses the cache at `file`; throws {@link ElfError} when it cannot be read or parsed. */
export function readLdCache(file = LD_SO_CACHE): LdCacheEntry[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ElfError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE',
      `cannot read ${cutInput(file)}: ${code ?? String(error)}`,
      { path: file, cause: error, hint: 'run `ldconfig` (as root) to create it, or give the library by its full path' },
    );
  }
  return parseLdCache(bytes, file);
}
