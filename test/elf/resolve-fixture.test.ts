/**
 * resolveUprobeOffset against freshly compiled binaries, checked against
 * offsets computed independently from readelf output.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveUprobeOffset } from '../../src/elf/resolve.js';
import { ElfError, type ElfErrorCode } from '../../src/elf/errors.js';
import { buildFixture, expectedTarget, missingTools, run, type FixtureBuild } from './oracle.js';

const skip = missingTools();

/** Assert that `fn` throws an ElfError with `code` and a message matching every regex. */
function assertElfError(fn: () => unknown, code: ElfErrorCode, ...patterns: RegExp[]): ElfError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ElfError, `expected ElfError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

describe('resolveUprobeOffset on the compiled fixture', { skip }, () => {
  let fx: FixtureBuild;
  before(() => {
    fx = buildFixture();
  });
  after(() => {
    (fx as FixtureBuild | undefined)?.cleanup(); // unset when before() failed
  });

  const variants = ['o2', 'o0NoPie', 'o2Pie', 'rdynamic'] as const;
  const functions = ['pb_add', 'pb_loop', 'pb_static_mul', 'pb_call_dup_first', 'pb_call_dup_second', 'main'];

  for (const variant of variants) {
    test(`${variant}: offsets match readelf -sW + readelf -lW`, () => {
      const path = fx[variant];
      for (const fn of functions) {
        const want = expectedTarget(path, fn);
        const got = resolveUprobeOffset(path, fn, undefined, { cache: false });
        assert.equal(got.offset, want.offset, `${variant} ${fn}`);
        assert.equal(got.address, want.value, `${variant} ${fn} address`);
        assert.equal(got.size, want.size, `${variant} ${fn} size`);
        assert.equal(got.symbol, fn);
        assert.equal(got.table, 'symtab');
        assert.equal(got.offsetInSymbol, 0);
      }
    });

    test(`${variant}: +OFFS inside the function, and past its end`, () => {
      const path = fx[variant];
      const want = expectedTarget(path, 'pb_loop');
      const got = resolveUprobeOffset(path, 'pb_loop', 4);
      assert.equal(got.offset, want.offset + 4);
      assert.equal(got.address, want.value + 4n);
      assert.equal(resolveUprobeOffset(path, 'pb_loop+0x4').offset, want.offset + 4);
      assert.equal(resolveUprobeOffset(path, 'pb_loop', want.size - 1).offset, want.offset + want.size - 1);
      assertElfError(
        () => resolveUprobeOffset(path, 'pb_loop', want.size),
        'OFFSET_OUT_OF_RANGE',
        /outside pb_loop/,
        new RegExp(`${want.size} \\(0x`),
      );
      assertElfError(() => resolveUprobeOffset(path, 'pb_loop+1', 1), 'INVALID_ARGUMENT', /Offset given twice/);
    });
  }

  test('the -no-pie build really has vaddr != offset (so the segment math is exercised)', () => {
    const want = expectedTarget(fx.o0NoPie, 'pb_add');
    assert.notEqual(BigInt(want.offset), want.value);
    assert.ok(want.value >= 0x400000n);
  });

  test('same-named static functions at different addresses are reported, not guessed', () => {
    const err = assertElfError(
      () => resolveUprobeOffset(fx.o2, 'pb_dup'),
      'SYMBOL_AMBIGUOUS',
      /"pb_dup" is defined 2 times at different addresses/,
      /elf_target\.c/,
      /by file offset, e\.g\. .*:0x[0-9a-f]+/,
    );
    assert.equal(err.candidates.length, 2);
  });

  test('an IFUNC is refused with an explanation and its implementations; allowIfunc probes the resolver', () => {
    const err = assertElfError(
      () => resolveUprobeOffset(fx.o2, 'pb_dispatch'),
      'SYMBOL_IS_IFUNC',
      /indirect function \(IFUNC\)/,
      /resolver/,
      /pb_dispatch_fast, pb_dispatch_generic/,
      /allowIfunc/,
    );
    assert.deepEqual([...err.suggestions], ['pb_dispatch_fast', 'pb_dispatch_generic']);
    const resolver = expectedTarget(fx.o2, 'pb_dispatch_resolver');
    assert.equal(resolveUprobeOffset(fx.o2, 'pb_dispatch', 0, { allowIfunc: true }).offset, resolver.offset);
  });

  test('data symbols, imported symbols and typos give specific errors', () => {
    assertElfError(
      () => resolveUprobeOffset(fx.o2, 'pb_counter'),
      'NOT_A_FUNCTION',
      /pb_counter .*OBJECT.*not a function/,
    );
    const undef = assertElfError(
      () => resolveUprobeOffset(fx.o2, 'puts'),
      'SYMBOL_UNDEFINED',
      /"puts" is not defined in this file; it is imported from libc\.so\.6/,
      /Probe the library that defines it/,
      /ldd /,
    );
    assert.deepEqual([...undef.libraries], ['libc.so.6']);
    const typo = assertElfError(
      () => resolveUprobeOffset(fx.o2, 'pb_ad'),
      'SYMBOL_NOT_FOUND',
      /no function named "pb_ad"/,
      /Did you mean: pb_add/,
    );
    assert.ok(typo.suggestions.length <= 5);
    assertElfError(
      () => resolveUprobeOffset(fx.o2, 'pb_static_mull'),
      'SYMBOL_NOT_FOUND',
      /Did you mean: pb_static_mul/,
    );
  });

  test('a stripped PIE: static and non-exported functions give a STRIPPED error', () => {
    const stripped = join(fx.dir, 'o2-stripped');
    copyFileSync(fx.o2, stripped);
    run('strip', [stripped]);
    assertElfError(
      () => resolveUprobeOffset(stripped, 'pb_static_mul'),
      'STRIPPED',
      /no \.symtab \(it was stripped\)/,
      /debug symbols/,
    );
    assertElfError(() => resolveUprobeOffset(stripped, 'pb_add'), 'STRIPPED');
  });

  test('a stripped -rdynamic build still resolves exported functions from .dynsym', () => {
    const stripped = join(fx.dir, 'rdynamic-stripped');
    copyFileSync(fx.rdynamic, stripped);
    run('strip', [stripped]);
    const want = expectedTarget(fx.rdynamic, 'pb_add');
    const got = resolveUprobeOffset(stripped, 'pb_add');
    assert.equal(got.offset, want.offset);
    assert.equal(got.table, 'dynsym');
    assertElfError(
      () => resolveUprobeOffset(stripped, 'pb_static_mul'),
      'STRIPPED',
      /"pb_static_mul"/,
      /static and hidden functions/,
    );
  });

  test('shared library: versioned names select among versions', () => {
    const v1 = expectedTarget(fx.lib, 'pb_ver@PB_1');
    const v2 = expectedTarget(fx.lib, 'pb_ver@@PB_2');
    assert.notEqual(v1.offset, v2.offset);
    assert.equal(resolveUprobeOffset(fx.lib, 'pb_ver@PB_1').offset, v1.offset);
    assert.equal(resolveUprobeOffset(fx.lib, 'pb_ver@@PB_2').offset, v2.offset);
    assert.equal(resolveUprobeOffset(fx.lib, 'pb_ver@PB_2').offset, v2.offset);
    assertElfError(() => resolveUprobeOffset(fx.lib, 'pb_ver@@PB_1'), 'SYMBOL_NOT_FOUND', /available: .*pb_ver@PB_1/);
    assertElfError(
      () => resolveUprobeOffset(fx.lib, 'pb_ver'),
      'SYMBOL_AMBIGUOUS',
      /pb_ver@PB_1/,
      /pb_ver@@PB_2/,
      /Name the version you want/,
    );
    assert.equal(resolveUprobeOffset(fx.lib, 'pb_add').offset, expectedTarget(fx.lib, 'pb_add').offset);
    assert.equal(resolveUprobeOffset(fx.lib, 'pb_static_mul').offset, expectedTarget(fx.lib, 'pb_static_mul').offset);
  });

  test('stripped shared library: versions come from .gnu.version / .gnu.version_d', () => {
    const stripped = join(fx.dir, 'libpb-stripped.so');
    copyFileSync(fx.lib, stripped);
    run('strip', [stripped]);
    const v1 = expectedTarget(fx.lib, 'pb_ver@PB_1');
    const v2 = expectedTarget(fx.lib, 'pb_ver@@PB_2');
    const got1 = resolveUprobeOffset(stripped, 'pb_ver@PB_1');
    assert.equal(got1.offset, v1.offset);
    assert.equal(got1.symbol, 'pb_ver@PB_1');
    assert.equal(got1.table, 'dynsym');
    const got2 = resolveUprobeOffset(stripped, 'pb_ver@@PB_2');
    assert.equal(got2.offset, v2.offset);
    assert.equal(got2.symbol, 'pb_ver@@PB_2');
    const add = resolveUprobeOffset(stripped, 'pb_add');
    assert.equal(add.symbol, 'pb_add@@PB_1');
    assert.equal(add.offset, expectedTarget(fx.lib, 'pb_add').offset);
    assertElfError(() => resolveUprobeOffset(stripped, 'pb_ver'), 'SYMBOL_AMBIGUOUS', /pb_ver@PB_1/, /pb_ver@@PB_2/);
    assertElfError(() => resolveUprobeOffset(stripped, 'pb_dispatch'), 'SYMBOL_IS_IFUNC', /debug symbols/);
  });

  test('a relocatable object is rejected with advice to link it', () => {
    assertElfError(
      () => resolveUprobeOffset(fx.object, 'pb_add'),
      'UNSUPPORTED_ELF',
      /relocatable object file \(\.o\)\..*hint: link it/s,
    );
  });
});
