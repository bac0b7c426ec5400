/**
 * Truncated, random and mutated files must give ElfErrors (never a RangeError
 * from Buffer, a TypeError, a hang or a giant allocation).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInElf, resolveUprobeOffset } from '../../src/elf/resolve.js';
import { ElfFile } from '../../src/elf/elf-file.js';
import { ElfError } from '../../src/elf/errors.js';
import {
  SHT_DYNAMIC,
  SHT_DYNSYM,
  SHT_GNU_VERDEF,
  SHT_GNU_VERNEED,
  SHT_GNU_VERSYM,
  SHT_SYMTAB,
} from '../../src/elf/constants.js';
import { buildFixture, missingTools, type FixtureBuild } from './oracle.js';
import { seededRandom } from '../helpers/random.js';

const rng = seededRandom;

/**
 * Resolve `symbol` in an in-memory image; returns the ElfError (or undefined
 * on success) and fails the test on any other exception.
 */
function tryResolve(buf: Buffer, symbol: string, label: string): ElfError | undefined {
  try {
    const r = resolveInElf(ElfFile.fromBuffer(buf, label), symbol);
    assert.ok(r.offset >= 0 && r.offset < buf.length, `${label}: offset ${r.offset} outside a ${buf.length}-byte file`);
    return undefined;
  } catch (err) {
    if (err instanceof ElfError) return err;
    assert.fail(`${label}: non-ElfError ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}

const skip = missingTools();

describe('corrupt and truncated files', { skip }, () => {
  let fx: FixtureBuild;
  let image: Buffer;
  before(() => {
    fx = buildFixture();
    image = readFileSync(fx.lib);
  });
  after(() => {
    (fx as FixtureBuild | undefined)?.cleanup(); // unset when before() failed
  });

  test('the pristine image resolves (sanity check for the mutations below)', () => {
    assert.equal(tryResolve(image, 'pb_add', 'pristine'), undefined);
  });

  test('truncated at every 7th size: CORRUPT_ELF or NOT_ELF, with a clear message', () => {
    for (let size = 0; size < image.length; size += 7) {
      const err = tryResolve(image.subarray(0, size), 'pb_add', `cut${size}`);
      assert.ok(err, `truncated to ${size} bytes still resolved`);
      if (size < 4) {
        assert.equal(err.code, 'NOT_ELF');
      } else {
        assert.equal(err.code, 'CORRUPT_ELF', `${size}: ${err.message}`);
        assert.match(
          err.message,
          /truncated or corrupt ELF file: .*(extends past the end|lies outside|needs 64 bytes|not NUL-terminated)/,
        );
      }
    }
  });

  test('truncated copies on disk (through the fs path and the cache)', () => {
    const path = join(fx.dir, 'truncated');
    for (const size of [
      1,
      3,
      16,
      63,
      64,
      65,
      128,
      1000,
      image.length >> 2,
      image.length >> 1,
      image.length - 64,
      image.length - 1,
    ]) {
      writeFileSync(path, image.subarray(0, size));
      assert.throws(
        () => resolveUprobeOffset(path, 'pb_add', 0, { cache: false }),
        (err: unknown) => {
          assert.ok(err instanceof ElfError, String(err));
          assert.match(err.code, /^(NOT_ELF|CORRUPT_ELF)$/);
          assert.match(err.message, new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
          return true;
        },
      );
    }
  });

  test('random bytes, with and without an ELF64 identification prefix', () => {
    const rand = rng(1);
    const ident = image.subarray(0, 16);
    for (let i = 0; i < 400; i++) {
      const len = Math.floor(rand() * 8192);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256);
      if (i % 2 === 1) ident.copy(buf, 0, 0, Math.min(16, len));
      const err = tryResolve(buf, 'pb_add', `random${i}`);
      if (i % 2 === 0 && len >= 4) assert.equal(err?.code, 'NOT_ELF');
    }
  });

  test('random byte mutations anywhere', () => {
    const rand = rng(2);
    const started = Date.now();
    for (let i = 0; i < 1500; i++) {
      const buf = Buffer.from(image);
      const flips = 1 + Math.floor(rand() * 8);
      for (let k = 0; k < flips; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      tryResolve(buf, i % 3 === 0 ? 'pb_ver@@PB_2' : i % 3 === 1 ? 'pb_add' : 'nosuchfn', `mutation${i}`);
    }
    assert.ok(Date.now() - started < 60_000, 'mutation fuzzing finished in bounded time');
  });

  test('targeted corruption of headers, tables and version chains', () => {
    const elf = ElfFile.fromBuffer(image);
    const sections = elf.sections;
    const shoff = Number(image.readBigUInt64LE(40));
    // Fields worth attacking: [offset, width] pairs in the file header, every
    // section header, and the starts of the symbol, version and dynamic tables.
    const fields: [number, number][] = [];
    for (const [off, width] of [
      [16, 2],
      [32, 8],
      [40, 8],
      [54, 2],
      [56, 2],
      [58, 2],
      [60, 2],
      [62, 2],
    ] as const)
      fields.push([off, width]);
    for (const s of sections) {
      const base = shoff + s.index * 64;
      for (const [off, width] of [
        [0, 4],
        [4, 4],
        [24, 8],
        [32, 8],
        [40, 4],
        [44, 4],
        [56, 8],
      ] as const)
        fields.push([base + off, width]);
    }
    const interesting = new Set([SHT_SYMTAB, SHT_DYNSYM, SHT_GNU_VERSYM, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_DYNAMIC]);
    for (const s of sections.filter((x) => interesting.has(x.type))) {
      for (let off = 0; off < Math.min(Number(s.size), 96); off += 4) fields.push([Number(s.offset) + off, 4]);
    }
    const phoff = Number(image.readBigUInt64LE(32));
    for (let i = 0; i < elf.header.phnum; i++) {
      for (const off of [8, 16, 32]) fields.push([phoff + i * 56 + off, 8]);
    }
    const values = [
      0n,
      1n,
      0x7fn,
      0xffn,
      0xffffn,
      0x7fffffffn,
      0xffffffffn,
      0xffffffffffffffffn,
      BigInt(image.length),
      BigInt(image.length - 1),
    ];
    let errors = 0;
    for (const [off, width] of fields) {
      for (const v of values) {
        const buf = Buffer.from(image);
        const masked = v & ((1n << BigInt(width * 8)) - 1n);
        if (width === 8) buf.writeBigUInt64LE(masked, off);
        else if (width === 4) buf.writeUInt32LE(Number(masked), off);
        else buf.writeUInt16LE(Number(masked), off);
        for (const sym of ['pb_add', 'pb_ver@PB_1', 'puts']) if (tryResolve(buf, sym, `field${off}=${v}`)) errors++;
      }
    }
    assert.ok(errors > 0, 'the corruptions were detected at least sometimes');
  });
});
