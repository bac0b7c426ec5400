/**
 * Unit tests for the small building blocks: suggestions, the file cache,
 * versioned-name parsing and bounds-checked views.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundedLevenshtein, suggestNames } from '../../src/elf/suggest.js';
import { FileCache } from '../../src/elf/cache.js';
import { BufferSource, ByteView, type FileIdentity } from '../../src/elf/bytes.js';
import { splitVersionedName, versionedName } from '../../src/elf/symbols.js';
import { ElfError } from '../../src/elf/errors.js';
import { clearElfCache, elfCacheSize, loadElfFile } from '../../src/elf/loader.js';

describe('suggestions', () => {
  test('edit distance with early exit', () => {
    assert.equal(boundedLevenshtein('malloc', 'malloc', 2), 0);
    assert.equal(boundedLevenshtein('malocc', 'malloc', 2), 2);
    assert.equal(boundedLevenshtein('kitten', 'sitting', 3), 3);
    // A swap of adjacent characters is one edit, not two.
    assert.equal(boundedLevenshtein('valeu', 'value', 2), 1);
    assert.equal(boundedLevenshtein('trcae', 'trace', 2), 1);
    assert.equal(boundedLevenshtein('ab', 'ba', 0), 1);
    assert.ok(boundedLevenshtein('a', 'abcdefgh', 2) > 2);
  });

  test('ranking and limit', () => {
    const names = [
      'malloc',
      'mallopt',
      'free',
      '__libc_malloc',
      'MALLOC',
      'malloc_usable_size',
      'calloc',
      'realloc',
      'mlock',
    ];
    const got = suggestNames('malloc', names);
    assert.equal(got[0], 'MALLOC');
    assert.ok(!got.includes('malloc'), 'the query itself is not suggested');
    assert.ok(got.length <= 5);
    assert.deepEqual(suggestNames('pb_ad', ['pb_add', 'pb_loop', 'main']), ['pb_add']);
    assert.deepEqual(suggestNames('zzzzzz', names), []);
    assert.ok(suggestNames('libc_malloc', names).includes('__libc_malloc'));
  });
});

describe('versioned names', () => {
  test('split and format round-trip', () => {
    assert.deepEqual(splitVersionedName('malloc'), { name: 'malloc', version: undefined, hidden: false });
    assert.deepEqual(splitVersionedName('malloc@@GLIBC_2.2.5'), {
      name: 'malloc',
      version: 'GLIBC_2.2.5',
      hidden: false,
    });
    assert.deepEqual(splitVersionedName('memcpy@GLIBC_2.2.5'), {
      name: 'memcpy',
      version: 'GLIBC_2.2.5',
      hidden: true,
    });
    assert.deepEqual(splitVersionedName('@odd'), { name: '@odd', version: undefined, hidden: false });
    assert.equal(versionedName({ name: 'memcpy', version: 'GLIBC_2.14', versionHidden: false }), 'memcpy@@GLIBC_2.14');
    assert.equal(versionedName({ name: 'memcpy', version: 'GLIBC_2.2.5', versionHidden: true }), 'memcpy@GLIBC_2.2.5');
  });
});

describe('bounds-checked bytes', () => {
  test('reads outside a region throw CORRUPT_ELF, not RangeError', () => {
    const src = new BufferSource(Buffer.from([1, 2, 3, 4, 0x61, 0x62]), 'mem');
    const v = src.read(2, 4, 'part');
    assert.equal(v.u16(0, 'x'), 0x0403);
    assert.throws(
      () => v.u32(2, 'field'),
      (e: unknown) => e instanceof ElfError && e.code === 'CORRUPT_ELF' && e.message.includes('field'),
    );
    assert.throws(() => v.u64(0, 'field'), ElfError);
    assert.throws(() => v.cstr(2, 'name'), /not NUL-terminated/);
    assert.throws(() => src.read(4, 3, 'tail'), /extends past the end of the file/);
    assert.throws(() => src.read(0xffffffffffffffffn, 1, 'huge'), ElfError);
    assert.throws(() => v.from(5, 'sub'), ElfError);
    assert.ok(v instanceof ByteView);
  });
});

describe('file cache', () => {
  const id = (n: number): FileIdentity => ({ dev: 1n, ino: BigInt(n), size: 10n, mtimeNs: 5n, ctimeNs: 5n });

  test('LRU eviction and identity checks', () => {
    const c = new FileCache<string>(2);
    c.set('a', id(1), 'A');
    c.set('b', id(2), 'B');
    assert.equal(c.get('a', id(1)), 'A');
    c.set('c', id(3), 'C');
    assert.equal(c.get('b', id(2)), undefined, 'b was least recently used');
    assert.equal(c.get('a', id(1)), 'A');
    assert.equal(c.get('a', { ...id(1), mtimeNs: 6n }), undefined, 'changed file misses');
    assert.equal(c.get('a', id(1)), undefined, 'and the stale entry is gone');
    assert.equal(c.size, 1);
  });

  describe('loader', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'pb-elf-cache-'));
    });
    after(() => {
      clearElfCache();
      rmSync(dir, { recursive: true, force: true });
    });

    test('a replaced file is re-read', () => {
      clearElfCache();
      const path = join(dir, 'bin');
      copyFileSync('/bin/true', path);
      const first = loadElfFile(path);
      assert.equal(loadElfFile(path), first, 'second load is served from the cache');
      assert.equal(elfCacheSize(), 1);
      writeFileSync(path, 'not an elf any more');
      utimesSync(path, new Date(2001, 1, 1), new Date(2001, 1, 1));
      assert.throws(
        () => loadElfFile(path),
        (e: unknown) => e instanceof ElfError && e.code === 'NOT_ELF',
      );
      assert.notEqual(loadElfFile('/bin/true', { cache: false }), loadElfFile('/bin/true', { cache: false }));
    });
  });
});
