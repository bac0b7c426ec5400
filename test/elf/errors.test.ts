/**
 * File-level and argument errors: each must say what is wrong and what to do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveUprobeOffset, parseSymbolSpec } from '../../src/elf/resolve.js';
import { ElfError, isElfError, type ElfErrorCode } from '../../src/elf/errors.js';
import { ElfFile } from '../../src/elf/elf-file.js';
import { checkUprobeFileOffset } from '../../src/elf/file-offset.js';
import { loadElfFile } from '../../src/elf/loader.js';
import { PF_X, PT_LOAD } from '../../src/elf/constants.js';
import { PerfBridgeError } from '../../src/errors.js';

function expectError(fn: () => unknown, code: ElfErrorCode, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ElfError, `expected ElfError, got ${String(err)}`);
    assert.ok(err instanceof PerfBridgeError, 'an ElfError is a PerfBridgeError');
    assert.equal(err.code, code, err.message);
    assert.ok(err.hint.trim() !== '', `no hint: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

/** A minimal ELF header with the given class and data bytes (rest zero). */
function header(elfClass: number, data: number): Buffer {
  const b = Buffer.alloc(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, elfClass, data, 1], 0);
  return b;
}

describe('file errors', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-elf-errors-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('missing file', () => {
    expectError(
      () => resolveUprobeOffset(join(dir, 'nope'), 'main'),
      'FILE_NOT_FOUND',
      /nope: no such file/,
      /full path/,
    );
    expectError(() => resolveUprobeOffset(join(dir, 'nope', 'deeper'), 'main'), 'FILE_NOT_FOUND');
  });

  test('directory', () => {
    const d = join(dir, 'adir');
    mkdirSync(d);
    expectError(() => resolveUprobeOffset(d, 'main'), 'FILE_UNREADABLE', /is a directory/);
  });

  test('not ELF: text, script, empty', () => {
    const text = join(dir, 'text');
    writeFileSync(text, 'hello world\n');
    expectError(() => resolveUprobeOffset(text, 'main'), 'NOT_ELF', /is not an ELF file/, /magic/);
    const script = join(dir, 'script.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    expectError(() => resolveUprobeOffset(script, 'main'), 'NOT_ELF', /is a script/, /interpreter/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    expectError(() => resolveUprobeOffset(empty, 'main'), 'NOT_ELF', /empty/);
  });

  test('32-bit and big-endian ELF are rejected clearly', () => {
    const e32 = join(dir, 'elf32');
    writeFileSync(e32, header(1, 1));
    expectError(() => resolveUprobeOffset(e32, 'main'), 'UNSUPPORTED_ELF', /32-bit ELF/, /only 64-bit/);
    const be = join(dir, 'elfbe');
    writeFileSync(be, header(2, 2));
    expectError(() => resolveUprobeOffset(be, 'main'), 'UNSUPPORTED_ELF', /big-endian/);
    expectError(() => ElfFile.fromBuffer(header(9, 1)), 'CORRUPT_ELF', /invalid ELF class/);
  });

  test('ELF magic but header cut short', () => {
    expectError(
      () => ElfFile.fromBuffer(header(2, 1).subarray(0, 20), 'short'),
      'CORRUPT_ELF',
      /short: truncated or corrupt/,
      /needs 64 bytes/,
    );
  });

  test('isElfError narrows by code', () => {
    const err = new ElfError('STRIPPED', 'x');
    assert.ok(isElfError(err));
    assert.ok(isElfError(err, 'STRIPPED'));
    assert.ok(!isElfError(err, 'NOT_ELF'));
    assert.ok(!isElfError(new Error('x')));
  });
});

describe('argument errors', () => {
  test('bad symbols and offsets', () => {
    expectError(() => resolveUprobeOffset('/bin/true', ''), 'INVALID_ARGUMENT', /No symbol given/);
    expectError(() => resolveUprobeOffset('/bin/true', 'main', -1), 'INVALID_ARGUMENT', /non-negative integer/);
    expectError(() => resolveUprobeOffset('/bin/true', 'main', 1.5), 'INVALID_ARGUMENT', /non-negative integer/);
    expectError(() => resolveUprobeOffset('/bin/true', 'main+zz'), 'INVALID_ARGUMENT', /Invalid offset "\+zz"/);
    expectError(() => resolveUprobeOffset('/bin/true', '/bin/true:main'), 'INVALID_ARGUMENT', /without the path/);
  });

  test('parseSymbolSpec', () => {
    assert.deepEqual(parseSymbolSpec('main'), { symbol: 'main', offset: undefined });
    assert.deepEqual(parseSymbolSpec('main+16'), { symbol: 'main', offset: 16 });
    assert.deepEqual(parseSymbolSpec('main+0x1F'), { symbol: 'main', offset: 31 });
    assert.deepEqual(parseSymbolSpec('malloc@@GLIBC_2.2.5+0x4'), { symbol: 'malloc@@GLIBC_2.2.5', offset: 4 });
  });
});

describe('raw file offsets', () => {
  const segments = loadElfFile('/bin/true').programHeaders.filter((p) => p.type === PT_LOAD && p.filesz > 0n);
  const code = segments.find((p) => (p.flags & PF_X) !== 0)!;
  const data = segments.find((p) => (p.flags & PF_X) === 0)!;

  test('an offset in an executable segment is accepted', () => {
    checkUprobeFileOffset('/bin/true', Number(code.offset));
    checkUprobeFileOffset('/bin/true', Number(code.offset + code.filesz - 1n));
  });

  test('offsets outside the executable segments are refused, naming them', () => {
    const ranges = new RegExp(`inside an executable segment \\(here: 0x${code.offset.toString(16)}-`);
    const check = (offset: number) => () => {
      checkUprobeFileOffset('/bin/true', offset);
    };
    expectError(check(0x7fffffff), 'OFFSET_OUT_OF_RANGE', /past the end of the file/, ranges);
    expectError(check(Number(data.offset)), 'OFFSET_NOT_EXECUTABLE', /data segment/, ranges);
    expectError(check(-1), 'INVALID_ARGUMENT', /Invalid file offset -1/);
    expectError(() => {
      checkUprobeFileOffset('/nonexistent/pb-elf-test', 0x10);
    }, 'FILE_NOT_FOUND');
  });

  test('a long path is cut in the message, not in the error', () => {
    const path = `/nonexistent/${'p'.repeat(1000)}`;
    assert.throws(
      () => {
        checkUprobeFileOffset(path, 0);
      },
      (err: unknown) => {
        assert.ok(err instanceof ElfError);
        assert.equal(err.path, path);
        assert.match(err.message, /p… \(1013 characters\): no such file/);
        assert.ok(err.message.length < 600);
        return true;
      },
    );
  });
});
