/**
 * ElfSymbolizer on a running stack_target: its own functions, libc's getpid, a process that has
 * exited, and a binary replaced at its path while it runs; names from detached debug files (the
 * system's libc6-dbg, and files made here), compared with the names perf script prints.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { ElfSymbolizer, fileOffsetOf } from '../../src/symbols/elf-symbolizer.js';
import { ProcessMappings, type Mapping } from '../../src/symbols/process-maps.js';
import { buildProgram } from '../helpers/programs.js';
import { startTarget, stackTarget, stopTarget } from '../helpers/stack-target.js';
import { PROJECT_ROOT } from '../helpers/fixtures.js';
import { havePerf } from '../helpers/perf-script.js';
import { haveTool, readelfLoads, readelfSymbols, run, type ReadelfSymbol } from '../elf/oracle.js';

/** Whether this process may open `pid`'s map_files entry for `m` (root may; others usually not). */
function canOpenMapFile(pid: number, m: Mapping): boolean {
  try {
    closeSync(openSync(`/proc/${pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`, 'r'));
    return true;
  } catch {
    return false;
  }
}

const binary = stackTarget();

/** Where libc6-dbg and its kin install the debug file of `path`, by its build id (readelf's). */
function debugFileByBuildId(path: string): string | undefined {
  const id = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-nW', path]))?.[1];
  return id === undefined ? undefined : `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
}

/** This process's executable mapping of libc, if it maps one (node linked with glibc does). */
function findLibcMapping(): Mapping | undefined {
  const maps = new ProcessMappings();
  maps.seed(process.pid);
  return maps.mappings(process.pid).find((x) => /\/libc[.-][^/]*$/.test(x.path));
}

/** This process's executable mapping of libc. */
function libcMapping(): Mapping {
  const m = findLibcMapping();
  assert.ok(m, 'node maps libc');
  return m;
}

/**
 * A mapping of the whole file at `path` from address 0, so an address is the file offset; without
 * an inode it stands for whatever file is at the path.
 */
function wholeFile(path: string): Mapping {
  return { start: 0n, end: BigInt(statSync(path).size), pageOffset: 0n, path, major: 0, minor: 0, inode: 0n };
}

/** The file offset of the ELF address `vaddr` in `path`, through its PT_LOAD headers (readelf's). */
function fileOffsetOfAddress(path: string, vaddr: bigint): bigint {
  const load = readelfLoads(path).find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
  assert.ok(load, `a PT_LOAD of ${path} holds ${vaddr.toString(16)}`);
  return vaddr - load.vaddr + load.offset;
}

/** The one address readelf lists for the code symbol `name` of `path` (exactly as readelf prints it). */
function addressOf(path: string, name: string): bigint {
  const rows = readelfSymbols(path).filter((s) => s.name === name && s.ndx !== 'UND');
  const values = new Set(rows.map((s) => s.value));
  assert.equal(values.size, 1, `${name} has one address in ${path}`);
  return rows[0]!.value;
}

/** Why the libc6-dbg tests cannot run here, or undefined when they can. */
function libcDebugMissing(): string | undefined {
  if (!haveTool('readelf')) return 'needs readelf';
  const libc = findLibcMapping();
  if (libc === undefined) return 'node maps no libc';
  const debug = debugFileByBuildId(libc.path);
  if (debug === undefined) return 'libc has no build id';
  return existsSync(debug) ? undefined : `needs libc6-dbg (no ${debug})`;
}

test("fileOffsetOf: the distance into the mapping plus the mapping's file offset", () => {
  const m: Mapping = { start: 0x7000n, end: 0x9000n, pageOffset: 0x3000n, path: '/x', major: 0, minor: 0, inode: 0n };
  assert.equal(fileOffsetOf(m, 0x7000n), 0x3000n);
  assert.equal(fileOffsetOf(m, 0x8123n), 0x4123n);
});

describe('ElfSymbolizer on stack_target', () => {
  test('its functions resolve with the offset into them', async () => {
    const target = await startTarget(binary);
    try {
      const maps = new ProcessMappings();
      const symbolizer = new ElfSymbolizer();
      const [outer, inner, probeMe] = target.addresses;
      const module = realpathSync(binary);
      for (const [name, ip] of [
        ['outer', outer!],
        ['inner', inner!],
        ['probe_me', probeMe!],
      ] as const) {
        const m = maps.find(target.pid, ip);
        assert.ok(m, name);
        assert.deepEqual(symbolizer.resolve(m, ip, target.pid), { symbol: name, offset: 0, module });
        assert.deepEqual(symbolizer.resolve(m, ip + 3n, target.pid), { symbol: name, offset: 3, module });
      }
      assert.equal(symbolizer.cachedFiles, 1, 'one table for the three lookups');
    } finally {
      await stopTarget(target);
    }
  });

  test("libc's getpid resolves to libc's symbol", async () => {
    const target = await startTarget(binary);
    try {
      const getpid = target.addresses[3]!;
      const m = new ProcessMappings().find(target.pid, getpid);
      assert.ok(m);
      const hit = new ElfSymbolizer().resolve(m, getpid, target.pid);
      assert.ok(hit, 'getpid has a symbol');
      // glibc names it twice (__getpid, getpid); either is right.
      assert.match(hit.symbol, /^_*getpid$/);
      assert.equal(hit.offset, 0);
      assert.equal(hit.module, m.path);
    } finally {
      await stopTarget(target);
    }
  });

  test('a process found before it exited still symbolizes', async () => {
    const target = await startTarget(binary);
    const maps = new ProcessMappings();
    const probeMe = target.addresses[2]!;
    assert.ok(maps.find(target.pid, probeMe));
    await stopTarget(target);
    maps.exited(target.pid);
    const m = maps.find(target.pid, probeMe);
    assert.ok(m);
    // A fresh symbolizer: the table is read after the exit, from the file still at its path.
    assert.equal(new ElfSymbolizer().resolve(m, probeMe + 1n, target.pid)?.symbol, 'probe_me');
  });

  test('a binary replaced at its path: read through map_files while the process lives, else nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-symbols-'));
    try {
      const path = join(dir, 'stack_target');
      copyFileSync(binary, path);
      chmodSync(path, 0o755);
      const target = await startTarget(path);
      const probeMe = target.addresses[2]!;
      let m: Mapping | undefined;
      try {
        m = new ProcessMappings().find(target.pid, probeMe);
        assert.ok(m);
        // Another program at the same path: its names must not be given to the old mapping.
        unlinkSync(path);
        copyFileSync(buildProgram('test/fixtures/programs/elf_target.c'), path);
        const reseeded = new ProcessMappings().find(target.pid, probeMe);
        assert.equal(reseeded?.path, realpathSync(path), 'the " (deleted)" suffix is not part of the path');
        assert.equal(
          new ElfSymbolizer().resolve(m, probeMe),
          undefined,
          'without a pid, only the path, which is another file',
        );
        const expected = canOpenMapFile(target.pid, m) ? { symbol: 'probe_me', offset: 0, module: m.path } : undefined;
        assert.deepEqual(new ElfSymbolizer().resolve(m, probeMe, target.pid), expected);
      } finally {
        await stopTarget(target);
      }
      assert.ok(m);
      assert.equal(
        new ElfSymbolizer().resolve(m, probeMe, target.pid),
        undefined,
        'the process is gone: nothing reaches the old file',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test(
  'every sized function of libc, as readelf lists them (from its debug file when installed), resolves at its first and last byte',
  {
    skip: haveTool('readelf') ? undefined : 'needs readelf',
  },
  () => {
    // This process maps libc too; its executable mapping is the one the code lies in.
    const m = libcMapping();
    const debug = debugFileByBuildId(m.path);
    // The symbolizer reads libc6-dbg's .symtab when it is installed, as perf does.
    const symbolFile = debug !== undefined && existsSync(debug) ? debug : m.path;
    const syms = readelfSymbols(symbolFile).filter((s) => s.ndx !== 'UND' && (s.type === 'FUNC' || s.type === 'IFUNC'));
    const table = syms.some((s) => s.table === '.symtab') ? '.symtab' : '.dynsym';
    const functions = syms.filter((s) => s.table === table && s.value !== 0n);
    // A .symtab spells versions into names, as perf shows them; readelf adds .dynsym's from .gnu.version.
    const shown = (s: ReadelfSymbol) => (table === '.symtab' ? s.name : s.name.replace(/@.*/, ''));
    const loads = readelfLoads(m.path);
    /** Every function containing `vaddr`, by readelf: the symbolizer must name one of them. */
    const containing = (vaddr: bigint) =>
      functions.filter((s) => s.value <= vaddr && vaddr < s.value + BigInt(Math.max(s.size, 1)));
    const symbolizer = new ElfSymbolizer();
    let checked = 0;
    for (const fn of functions) {
      if (fn.size === 0) continue;
      for (const vaddr of [fn.value, fn.value + BigInt(fn.size - 1)]) {
        const load = loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
        if (!load) continue;
        const ip = vaddr - load.vaddr + load.offset - m.pageOffset + m.start;
        if (ip < m.start || ip >= m.end) continue;
        const hit = symbolizer.resolve(m, ip, process.pid);
        const candidates = containing(vaddr);
        assert.ok(hit, `${fn.name} at ${vaddr.toString(16)}`);
        const match = candidates.find((s) => shown(s) === hit.symbol);
        assert.ok(match, `${hit.symbol} for ${fn.name} at ${vaddr.toString(16)}`);
        assert.equal(BigInt(hit.offset), vaddr - match.value);
        checked++;
      }
    }
    assert.ok(checked > 1000, `checked ${checked} addresses`);
  },
);

describe('libc6-dbg: libc and ld.so named from their debug files', { skip: libcDebugMissing() }, () => {
  test("an address in libc's local __libc_start_call_main resolves to it", () => {
    const m = libcMapping();
    const debug = debugFileByBuildId(m.path)!;
    const vaddr = addressOf(debug, '__libc_start_call_main');
    const ip = fileOffsetOfAddress(m.path, vaddr) - m.pageOffset + m.start;
    const symbolizer = new ElfSymbolizer();
    for (const delta of [0n, 5n]) {
      assert.deepEqual(symbolizer.resolve(m, ip + delta, process.pid), {
        symbol: '__libc_start_call_main',
        offset: Number(delta),
        module: m.path,
      });
    }
    // Not in .dynsym: the name can only have come from the debug file.
    assert.ok(!readelfSymbols(m.path).some((s) => s.name === '__libc_start_call_main'));
  });

  test(
    'the frames perf script names in libc and ld.so get the same names',
    { skip: !havePerf() && 'needs perf' },
    () => {
      const frames = perfLibcFrames();
      assert.ok(frames.length > 0, 'perf recorded frames in libc or ld.so');
      const names = new Map<string, Set<string>>();
      for (const frame of frames) {
        if (!names.has(frame.dso)) names.set(frame.dso, new Set());
        names.get(frame.dso)!.add(frame.symbol);
      }
      assert.ok(names.get(libcMapping().path)?.has('__libc_start_call_main'), 'perf names the local function too');
      const symbolizer = new ElfSymbolizer();
      // Every name perf printed is a function of our table for that file: resolving where the
      // symbol file (the debug file, as for perf) puts it gives that name back.
      for (const [dso, set] of names) {
        const debug = debugFileByBuildId(dso);
        const symbolFile = debug !== undefined && existsSync(debug) ? debug : dso;
        for (const name of set) {
          const rows = readelfSymbols(symbolFile).filter((s) => s.name === name && s.ndx !== 'UND');
          assert.ok(rows.length > 0, `${name} is a symbol of ${symbolFile}`);
          const named = rows.some(
            (s) => symbolizer.resolve(wholeFile(dso), fileOffsetOfAddress(dso, s.value))?.symbol === name,
          );
          assert.ok(named, `${name} in ${dso}`);
        }
      }
      // And frame by frame: perf prints the address in the file (ip - map start + pgoff), which is
      // the ELF address too where the segment's offset equals its address, as in libc and ld.so.
      let compared = 0;
      for (const frame of frames) {
        const load = readelfLoads(frame.dso).find(
          (l) => frame.address >= l.offset && frame.address < l.offset + l.filesz,
        );
        if (load === undefined || load.offset !== load.vaddr) continue;
        const hit = symbolizer.resolve(wholeFile(frame.dso), frame.address);
        assert.equal(hit?.symbol, frame.symbol, `${frame.dso} at ${frame.address.toString(16)}`);
        compared++;
      }
      assert.ok(compared > 0, 'frames were compared');
    },
  );
});

/** One user frame perf script printed: the address in the file, its symbol and the file. */
interface PerfFrame {
  readonly address: bigint;
  readonly symbol: string;
  readonly dso: string;
}

/**
 * The named frames in libc and ld.so of the stack fixture's syscalls, as perf script prints them:
 * the fixture's read, and the loader's and the shell's mmap, openat, close... (tracepoints only).
 * PLT entries (`name@plt`), which perf makes up from relocations, are left out.
 */
function perfLibcFrames(): PerfFrame[] {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-debug-syms-'));
  try {
    const data = join(dir, 'perf.data');
    const events = ['read', 'mmap', 'openat', 'mprotect', 'close', 'newfstatat', 'write', 'exit_group'];
    execFileSync(
      'perf',
      [
        'record',
        '-q',
        '-g',
        '-k',
        'CLOCK_MONOTONIC',
        ...events.flatMap((e) => ['-e', `syscalls:sys_enter_${e}`]),
        '-o',
        data,
        '--',
        'sh',
        '-c',
        'exec "$0" "$1" </dev/null >/dev/null',
        binary,
        '1',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const script = execFileSync('perf', ['script', '-i', data, '--ns', '-F', 'ip,sym,dso'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const frames: PerfFrame[] = [];
    for (const line of script.split('\n')) {
      const m = /^\s*([0-9a-f]+) (.+) \((\/.+)\)$/.exec(line);
      if (!m || !/\/(libc\.so\.6|ld-linux[^/]*\.so\.\d+)$/.test(m[3]!)) continue;
      if (m[2] === '[unknown]' || m[2]!.endsWith('@plt')) continue;
      frames.push({ address: BigInt(`0x${m[1]!}`), symbol: m[2]!, dso: m[3]! });
    }
    return frames;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const debugToolsMissing = ['cc', 'readelf', 'objcopy'].filter((t) => !haveTool(t));

describe(
  'debug files made here, and which alias names an address',
  { skip: debugToolsMissing.length > 0 ? `needs ${debugToolsMissing.join(', ')}` : undefined },
  () => {
    let dir: string;
    /** An executable with its .symtab: the aliases below, and `hidden`, a static function. */
    let full: string;
    /** `full` built with one more function at the end: another build id, `hidden` where it was. */
    let other: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'perf-bridge-debug-files-'));
      const source = join(dir, 'aliases.c');
      writeFileSync(
        source,
        [
          '#define KEEP __attribute__((noinline, used))',
          'KEEP static int hidden(int x) { return x * 3 + 1; }',
          // A global, a weak and a local name: the global one.
          'KEEP int a_global(int x) { return hidden(x) + 1; }',
          'extern int a_weak(int) __attribute__((weak, alias("a_global")));',
          'static int a_local(int) __attribute__((used, alias("a_global")));',
          // A weak and a local name: the local one, as perf prefers (glibc: __GI___sigprocmask).
          'KEEP static int __b_local(int x) { return hidden(x) + 2; }',
          'extern int b_weak(int) __attribute__((weak, alias("__b_local")));',
          // Two globals: fewer leading underscores.
          'KEEP int __c_global(int x) { return hidden(x) + 3; }',
          'extern int c_global(int) __attribute__((alias("__c_global")));',
          // Two locals with as many underscores: the longer name (glibc: __GI___read_nocancel).
          'KEEP static int d_short(int x) { return hidden(x) + 4; }',
          'static int d_longer_name(int) __attribute__((used, alias("d_short")));',
          'int main(int argc, char **argv) { (void)argv; return a_global(argc) + __b_local(argc) + __c_global(argc) + d_short(argc); }',
          '#ifdef OTHER',
          'KEEP int other(int x) { return x - 1; }',
          '#endif',
          '',
        ].join('\n'),
      );
      full = join(dir, 'full');
      other = join(dir, 'other');
      run('cc', ['-O1', '-Wl,--build-id=sha1', '-o', full, source]);
      run('cc', ['-O1', '-Wl,--build-id=sha1', '-DOTHER', '-o', other, source]);
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    /** What `symbolizer` names `name`'s address (by `symbols`, a file with a .symtab) in `path`. */
    function nameAt(symbolizer: ElfSymbolizer, path: string, symbols: string, name: string): string | undefined {
      return symbolizer.resolve(wholeFile(path), fileOffsetOfAddress(path, addressOf(symbols, name)))?.symbol;
    }

    test("aliases at one address: perf's choice (extent, not weak, global, fewer underscores, longer)", () => {
      const symbolizer = new ElfSymbolizer();
      assert.equal(nameAt(symbolizer, full, full, 'a_weak'), 'a_global');
      assert.equal(nameAt(symbolizer, full, full, 'b_weak'), '__b_local');
      assert.equal(nameAt(symbolizer, full, full, '__c_global'), 'c_global');
      assert.equal(nameAt(symbolizer, full, full, 'd_short'), 'd_longer_name');
    });

    test('a stripped file is named from its debug file, in each place perf looks for one', () => {
      const debugRoot = join(dir, 'debug-root');
      const stripped = join(dir, 'bin', 'stripped');
      const debug = join(dir, 'bin', 'stripped.debug');
      mkdirSync(dirname(stripped), { recursive: true });
      run('objcopy', ['--only-keep-debug', full, debug]);
      run('objcopy', ['--strip-all', `--add-gnu-debuglink=${debug}`, full, stripped]);
      const id = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-nW', stripped]))![1]!;
      assert.ok(!readelfSymbols(stripped).some((s) => s.name === 'hidden'), 'stripped of .symtab');
      const named = (options: ConstructorParameters<typeof ElfSymbolizer>[0]) =>
        nameAt(new ElfSymbolizer(options), stripped, full, 'hidden');

      // Next to the file, in its .debug directory, and under the debug directory by its path.
      assert.equal(named({ debugDirectory: debugRoot }), 'hidden', '<dir>/<link>');
      const places = [
        join(dir, 'bin', '.debug', 'stripped.debug'),
        join(debugRoot, dir, 'bin', 'stripped.debug'),
        join(debugRoot, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`),
      ];
      let from = debug;
      for (const place of places) {
        mkdirSync(dirname(place), { recursive: true });
        renameSync(from, place);
        from = place;
        assert.equal(named({ debugDirectory: debugRoot }), 'hidden', place);
      }
      // Out of reach of the debug directory: nothing but .dynsym, which does not name `hidden`.
      assert.notEqual(named({ debugDirectory: join(dir, 'elsewhere') }), 'hidden');
    });

    test('a debug file of another build is not used, though its name fits', () => {
      const stripped = join(dir, 'mismatch', 'stripped');
      const debug = join(dir, 'mismatch', 'stripped.debug');
      mkdirSync(dirname(stripped), { recursive: true });
      run('objcopy', ['--only-keep-debug', full, debug]);
      run('objcopy', ['--strip-all', `--add-gnu-debuglink=${debug}`, full, stripped]);
      // The other build's debug file in its place: `hidden` is at the same address in it.
      run('objcopy', ['--only-keep-debug', other, debug]);
      assert.equal(addressOf(debug, 'hidden'), addressOf(full, 'hidden'));
      const symbolizer = new ElfSymbolizer({ debugDirectory: join(dir, 'elsewhere') });
      assert.notEqual(nameAt(symbolizer, stripped, full, 'hidden'), 'hidden');
    });
  },
);

describe('ElfSymbolizer failures', () => {
  const source: Mapping = {
    start: 0x1000n,
    end: 0x2000n,
    pageOffset: 0n,
    path: join(PROJECT_ROOT, 'test/fixtures/programs/stack_target.c'),
    major: 0,
    minor: 0,
    inode: 0n,
  };

  test('a file that is not ELF, a missing file, [vdso]: undefined, and the failure is cached', () => {
    const symbolizer = new ElfSymbolizer();
    assert.equal(symbolizer.resolve(source, 0x1000n), undefined);
    assert.equal(symbolizer.resolve(source, 0x1010n), undefined);
    assert.equal(symbolizer.cachedFiles, 1);
    assert.equal(symbolizer.resolve({ ...source, path: '/nonexistent/perf-bridge/lib.so' }, 0x1000n, 1), undefined);
    assert.equal(symbolizer.resolve({ ...source, path: '[vdso]' }, 0x1000n, process.pid), undefined);
    assert.equal(symbolizer.cachedFiles, 3);
  });

  test('a mapping whose inode is not the file at its path gets no names from that file', () => {
    const wrong: Mapping = { ...source, path: realpathSync(binary), inode: 1n, major: 1, minor: 1 };
    assert.equal(new ElfSymbolizer().resolve(wrong, 0x1000n), undefined);
  });

  test('the least recently used file is dropped beyond maxFiles', () => {
    const symbolizer = new ElfSymbolizer({ maxFiles: 2 });
    for (const name of ['a', 'b', 'c']) symbolizer.resolve({ ...source, path: `/nonexistent/${name}` }, 0x1000n);
    assert.equal(symbolizer.cachedFiles, 2);
  });
});
