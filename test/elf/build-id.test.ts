/**
 * buildIdOf and debugLinkOf: on the system libc against readelf, on programs built with and
 * without a build id, and on notes and links corrupted in memory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildIdOf, debugLinkOf } from '../../src/elf/build-id.js';
import { ElfFile } from '../../src/elf/elf-file.js';
import { FIXTURE_SOURCE, haveTool, run } from './oracle.js';

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

/** The build id `readelf -n` prints for `path`, or undefined. */
function readelfBuildId(path: string): string | undefined {
  return /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-nW', path]))?.[1];
}

/** The `.gnu_debuglink` file name `readelf -p` prints for `path`, or undefined. */
function readelfDebugLink(path: string): string | undefined {
  const r = run('readelf', ['-W', '-p', '.gnu_debuglink', path]);
  return /\[\s*0\]\s+(\S+)/.exec(r)?.[1];
}

/** Parse `path` from memory (so the descriptor is not left open). */
function load(path: string): ElfFile {
  return ElfFile.fromBuffer(readFileSync(path), path);
}

const libcSkip = !existsSync(LIBC) ? `no ${LIBC}` : !haveTool('readelf') ? 'needs readelf' : undefined;

describe('the system libc', { skip: libcSkip }, () => {
  test('its build id is the one readelf -n prints', () => {
    const expected = readelfBuildId(LIBC);
    assert.ok(expected, 'Debian links libc with a build id');
    assert.equal(buildIdOf(load(LIBC)), expected);
    // Read through a descriptor too, the way the symbolizer opens files.
    const elf = ElfFile.open(LIBC);
    try {
      assert.equal(buildIdOf(elf), expected);
    } finally {
      elf.close();
    }
  });

  test('its debuglink is the name readelf -p .gnu_debuglink prints', () => {
    const expected = readelfDebugLink(LIBC);
    if (expected === undefined) return; // a libc shipped unstripped has no link
    assert.equal(debugLinkOf(load(LIBC)), expected);
  });

  test('corrupt note sizes end the walk without an exception or a wrong id', () => {
    const image = readFileSync(LIBC);
    const section = ElfFile.fromBuffer(image).sections.find((s) => s.name === '.note.gnu.build-id');
    assert.ok(section, 'libc has a .note.gnu.build-id section');
    const at = Number(section.offset);
    // n_namesz, then n_descsz, of the (only) build-id note; the PT_NOTE segment covers the same bytes.
    for (const [field, value] of [
      [0, 0xffffffff],
      [4, 0xffffffff],
      [4, 0x7ffffffd],
      [0, 5],
    ] as const) {
      const copy = Buffer.from(image);
      copy.writeUInt32LE(value, at + field);
      assert.equal(buildIdOf(ElfFile.fromBuffer(copy)), undefined, `field ${field} = ${value}`);
    }
  });

  test('a debuglink holding a path is refused: the link is a file name', () => {
    const image = readFileSync(LIBC);
    const section = ElfFile.fromBuffer(image).sections.find((s) => s.name === '.gnu_debuglink');
    if (section === undefined) return;
    const copy = Buffer.from(image);
    copy.write('../x\0', Number(section.offset), 'latin1');
    assert.equal(debugLinkOf(ElfFile.fromBuffer(copy)), undefined);
    copy.write('\0', Number(section.offset), 'latin1');
    assert.equal(debugLinkOf(ElfFile.fromBuffer(copy)), undefined, 'an empty name');
  });
});

const toolSkip = ['cc', 'readelf', 'objcopy'].filter((t) => !haveTool(t));

describe('programs built here', { skip: toolSkip.length > 0 ? `needs ${toolSkip.join(', ')}` : undefined }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'perf-bridge-build-id-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('every build id style the linker writes, and none', () => {
    for (const style of ['sha1', 'md5', 'uuid', '0x0123456789abcdef']) {
      const out = join(dir, `id-${style}`);
      run('cc', ['-O1', `-Wl,--build-id=${style}`, '-o', out, FIXTURE_SOURCE]);
      const expected = readelfBuildId(out);
      assert.ok(expected, style);
      assert.equal(buildIdOf(load(out)), expected, style);
    }
    const none = join(dir, 'id-none');
    run('cc', ['-O1', '-Wl,--build-id=none', '-o', none, FIXTURE_SOURCE]);
    assert.equal(readelfBuildId(none), undefined);
    assert.equal(buildIdOf(load(none)), undefined);
    assert.equal(debugLinkOf(load(none)), undefined);
  });

  test('a debuglink objcopy adds, with the name it is given', () => {
    const prog = join(dir, 'linked');
    const debug = join(dir, 'linked.dbg');
    run('cc', ['-O1', '-o', prog, FIXTURE_SOURCE]);
    run('objcopy', ['--only-keep-debug', prog, debug]);
    run('objcopy', ['--strip-all', `--add-gnu-debuglink=${debug}`, prog]);
    assert.equal(debugLinkOf(load(prog)), 'linked.dbg');
    assert.equal(readelfDebugLink(prog), 'linked.dbg');
    // The debug file keeps the notes: it proves it is this build's.
    assert.equal(buildIdOf(load(debug)), buildIdOf(load(prog)));
  });
});
