/**
 * resolveUprobeOffset on the system libc, compared with what perf would
 * compute (dynsym value → PT_LOAD → file offset), derived here from readelf.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolveUprobeOffset } from '../../src/elf/resolve.js';
import { clearElfCache, elfCacheSize } from '../../src/elf/loader.js';
import { ElfError } from '../../src/elf/errors.js';
import { expectedTarget, haveTool, readelfSymbols } from './oracle.js';

const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
const skip = !existsSync(LIBC) ? `no ${LIBC}` : !haveTool('readelf') ? 'needs readelf' : undefined;

describe('libc', { skip }, () => {
  test('malloc resolves to the offset perf would use', () => {
    const syms = readelfSymbols(LIBC).filter((s) => /^malloc@@?GLIBC_/.test(s.name) && s.ndx !== 'UND');
    assert.equal(syms.length, 1, 'this libc exports exactly one malloc');
    const want = expectedTarget(LIBC, syms[0]!.name);
    const got = resolveUprobeOffset(LIBC, 'malloc');
    assert.equal(got.offset, want.offset);
    assert.equal(got.size, want.size);
    assert.equal(got.address, want.value);
    assert.equal(got.symbol, syms[0]!.name);
    // Same answer when the version is spelled out.
    assert.equal(resolveUprobeOffset(LIBC, syms[0]!.name).offset, want.offset);
  });

  test('a few more exported functions match readelf', () => {
    for (const fn of ['free', 'calloc', 'write', 'getpid']) {
      const row = readelfSymbols(LIBC).find(
        (s) => s.name.replace(/@.*/, '') === fn && s.type === 'FUNC' && s.ndx !== 'UND',
      );
      if (!row) continue;
      assert.equal(resolveUprobeOffset(LIBC, fn).offset, expectedTarget(LIBC, row.name).offset, fn);
    }
  });

  test('an IFUNC in libc is refused with an explanation', () => {
    const ifunc = readelfSymbols(LIBC).find(
      (s) => s.type === 'IFUNC' && s.ndx !== 'UND' && /^str(len|chr|cmp)@@/.test(s.name),
    );
    if (!ifunc) return;
    assert.throws(
      () => resolveUprobeOffset(LIBC, ifunc.name),
      (err: unknown) => {
        assert.ok(err instanceof ElfError);
        assert.equal(err.code, 'SYMBOL_IS_IFUNC');
        assert.match(err.message, /GNU indirect function \(IFUNC\).*resolver/s);
        return true;
      },
    );
  });

  test('symbols with several versions at different addresses list them', () => {
    const names = readelfSymbols(LIBC).filter(
      (s) => s.table === '.dynsym' && s.ndx !== 'UND' && s.type === 'FUNC' && s.name.startsWith('pthread_cond_wait@'),
    );
    if (new Set(names.map((s) => s.value)).size < 2) return;
    assert.throws(
      () => resolveUprobeOffset(LIBC, 'pthread_cond_wait'),
      (err: unknown) => {
        assert.ok(err instanceof ElfError);
        assert.equal(err.code, 'SYMBOL_AMBIGUOUS');
        for (const s of names) assert.ok(err.message.includes(s.name), `${s.name} listed`);
        return true;
      },
    );
    for (const s of names) assert.equal(resolveUprobeOffset(LIBC, s.name).offset, expectedTarget(LIBC, s.name).offset);
  });

  test('a misspelt name gets suggestions', () => {
    assert.throws(
      () => resolveUprobeOffset(LIBC, 'malocc'),
      (err: unknown) => {
        assert.ok(err instanceof ElfError);
        assert.match(err.code, /^(STRIPPED|SYMBOL_NOT_FOUND)$/);
        assert.match(err.message, /Did you mean: .*\bmalloc\b/);
        assert.ok(err.suggestions.length >= 1 && err.suggestions.length <= 5);
        return true;
      },
    );
  });

  test('parsed once, then served from the cache', () => {
    clearElfCache();
    const t0 = process.hrtime.bigint();
    resolveUprobeOffset(LIBC, 'malloc');
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < 20; i++) resolveUprobeOffset(LIBC, 'free');
    const t2 = process.hrtime.bigint();
    assert.equal(elfCacheSize(), 1);
    // 20 cached lookups should cost well under 20 cold parses (generous bound for slow CI).
    assert.ok(t2 - t1 < (t1 - t0) * 10n, `cold ${t1 - t0}ns, 20 cached ${t2 - t1}ns`);
    assert.ok(t1 - t0 < 2_000_000_000n, 'a cold libc parse takes well under 2 s');
  });
});
