/**
 * The ld.so cache reader: the host's /etc/ld.so.cache against what `ldconfig -p` prints for the
 * same file, and caches of each layout written here byte by byte after glibc's
 * sysdeps/generic/dl-cache.h (struct cache_file, cache_file_new, file_entry, file_entry_new).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { ElfError } from '../../src/elf/errors.js';
import { isHostLibrary, LD_SO_CACHE, parseLdCache, readLdCache, type LdCacheEntry } from '../../src/elf/ld-cache.js';
import { haveTool } from './oracle.js';

const noCache = !existsSync(LD_SO_CACHE) ? `no ${LD_SO_CACHE}` : !haveTool('ldconfig') ? 'needs ldconfig' : undefined;

/** `ldconfig -p`: its count line and, in cache order, each entry's soname and path. */
function ldconfigList(): { count: number; entries: { soname: string; path: string }[] } {
  const lines = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).split('\n');
  const count = Number(/^(\d+) libs found/.exec(lines[0] ?? '')?.[1]);
  const entries = lines
    .slice(1)
    .map((line) => /^\t(\S+) \(.*\) => (.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ soname: match[1]!, path: match[2]! }));
  return { count, entries };
}

describe('the host ld.so cache', { skip: noCache }, () => {
  test('lists what ldconfig -p lists, in the same order', () => {
    const ours = readLdCache();
    const theirs = ldconfigList();
    assert.equal(ours.length, theirs.count);
    assert.deepEqual(
      ours.map(({ soname, path }) => ({ soname, path })),
      theirs.entries,
    );
  });

  test("libc.so.6 is a library of this process's ABI", () => {
    const libc = readLdCache().filter((entry) => entry.soname === 'libc.so.6' && isHostLibrary(entry));
    assert.equal(libc.length, 1);
    if (process.arch === 'x64') assert.equal(libc[0]!.flags, 0x0303, 'libc6, x86-64');
  });
});

interface Entry {
  soname: string;
  path: string;
  flags?: number;
  hwcap?: bigint;
}

/** The strings of `entries`, NUL-terminated, and each entry's offsets into them. */
function strings(entries: readonly Entry[], base: number): { bytes: Buffer; offsets: [number, number][] } {
  const parts: Buffer[] = [];
  const offsets: [number, number][] = [];
  let at = base;
  const add = (text: string) => {
    parts.push(Buffer.from(`${text}\0`));
    const offset = at;
    at += text.length + 1;
    return offset;
  };
  for (const entry of entries) offsets.push([add(entry.soname), add(entry.path)]);
  return { bytes: Buffer.concat(parts), offsets };
}

/** A `glibc-ld.so.cache1.1` table: 48-byte header, 24-byte entries, strings counted from the header. */
function newFormat(entries: readonly Entry[], endian = 2): Buffer {
  const header = Buffer.alloc(48);
  header.write('glibc-ld.so.cache1.1', 0, 'latin1');
  header.writeUInt32LE(entries.length, 20);
  const table = Buffer.alloc(24 * entries.length);
  const { bytes, offsets } = strings(entries, header.length + table.length);
  header.writeUInt32LE(bytes.length, 24);
  header.writeUInt8(endian, 28);
  entries.forEach((entry, i) => {
    table.writeInt32LE(entry.flags ?? 0x0303, 24 * i);
    table.writeUInt32LE(offsets[i]![0], 24 * i + 4);
    table.writeUInt32LE(offsets[i]![1], 24 * i + 8);
    table.writeBigUInt64LE(entry.hwcap ?? 0n, 24 * i + 16);
  });
  return Buffer.concat([header, table, bytes]);
}

/** An `ld.so-1.7.0` cache: 16-byte header, 12-byte entries, strings counted from the end of the entries; `tail` after them. */
function oldFormat(entries: readonly Entry[], tail?: (tableEnd: number) => Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.write('ld.so-1.7.0', 0, 'latin1');
  header.writeUInt32LE(entries.length, 12);
  const table = Buffer.alloc(12 * entries.length);
  const tableEnd = header.length + table.length;
  const hidden = tail?.(tableEnd) ?? Buffer.alloc(0);
  const { bytes, offsets } = strings(entries, hidden.length);
  entries.forEach((entry, i) => {
    table.writeInt32LE(entry.flags ?? 0x0303, 12 * i);
    table.writeUInt32LE(offsets[i]![0], 12 * i + 4);
    table.writeUInt32LE(offsets[i]![1], 12 * i + 8);
  });
  return Buffer.concat([header, table, hidden, bytes]);
}

const LIBS: Entry[] = [
  { soname: 'libz.so.1', path: '/lib/x86_64-linux-gnu/libz.so.1' },
  { soname: 'libc.so.6', path: '/lib/x86_64-linux-gnu/libc.so.6' },
];
const plain = (entries: readonly LdCacheEntry[]) => entries.map(({ soname, path }) => ({ soname, path }));

test('the new layout alone, as glibc 2.32 and later write it', () => {
  const parsed = parseLdCache(newFormat([...LIBS, { ...LIBS[1]!, hwcap: (1n << 62n) | 1n }]), 'new');
  assert.deepEqual(plain(parsed), [...LIBS, LIBS[1]]);
  assert.deepEqual(
    parsed.map((entry) => [entry.flags, entry.hwcap]),
    [
      [0x0303, 0n],
      [0x0303, 0n],
      [0x0303, (1n << 62n) | 1n],
    ],
  );
});

test('the old layout alone, and the old one followed by the new one (which is read)', () => {
  assert.deepEqual(plain(parseLdCache(oldFormat(LIBS), 'old')), LIBS);
  const newer = [{ soname: 'libnew.so.2', path: '/usr/lib/libnew.so.2' }];
  const combined = oldFormat(LIBS, (tableEnd) =>
    Buffer.concat([Buffer.alloc(Math.ceil(tableEnd / 8) * 8 - tableEnd), newFormat(newer)]),
  );
  assert.deepEqual(plain(parseLdCache(combined, 'combined')), newer);
});

test('only libraries of this ABI without a glibc-hwcaps subdirectory count as host libraries', () => {
  const entry = (flags: number, hwcap = 0n): LdCacheEntry => ({ soname: 'libx.so', path: '/x', flags, hwcap });
  if (process.arch === 'x64') {
    assert.equal(isHostLibrary(entry(0x0303)), true);
    assert.equal(isHostLibrary(entry(0x0003)), false, 'i386');
    assert.equal(isHostLibrary(entry(0x0a03)), false, 'AArch64');
  }
  assert.equal(isHostLibrary(entry(0x0303, 1n << 62n)), false);
});

test('anything else is refused with CORRUPT_LD_CACHE', () => {
  const good = newFormat(LIBS);
  const tooMany = Buffer.from(good);
  tooMany.writeUInt32LE(1000, 20);
  const outside = Buffer.from(good);
  outside.writeUInt32LE(good.length + 10, 48 + 8);
  const cases: [string, Buffer, RegExp][] = [
    ['an unknown magic', Buffer.from('not a cache at all, just some text'), /neither known magic/],
    ['a cut header', good.subarray(0, 30), /header is cut short/],
    ['more entries than bytes', tooMany, /claims 1000 entries/],
    ['a string outside the file', outside, /entry 0 points outside the file/],
    ['a big-endian cache', newFormat(LIBS, 3), /big-endian/],
    ['a cut old header', oldFormat(LIBS).subarray(0, 14), /header is cut short/],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(
      () => parseLdCache(bytes, '/pb/test.cache'),
      (error: unknown) =>
        error instanceof ElfError &&
        error.code === 'CORRUPT_LD_CACHE' &&
        message.test(error.message) &&
        error.message.startsWith('/pb/test.cache is not a valid ld.so cache') &&
        error.hint.includes('ldconfig'),
      what,
    );
  }
});

test('a missing cache file is FILE_NOT_FOUND', () => {
  assert.throws(
    () => readLdCache('/nonexistent/pb-ld.so.cache'),
    (error: unknown) => error instanceof ElfError && error.code === 'FILE_NOT_FOUND',
  );
});
