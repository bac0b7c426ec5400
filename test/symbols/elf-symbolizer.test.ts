/**
 * ElfSymbolizer on a running stack_target: its own functions, libc's getpid, a process that has
 * exited, and a binary replaced at its path while it runs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, copyFileSync, mkdtempSync, openSync, realpathSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ElfSymbolizer, fileOffsetOf } from '../../src/symbols/elf-symbolizer.js';
import { ProcessMappings, type Mapping } from '../../src/symbols/process-maps.js';
import { buildProgram } from '../helpers/programs.js';
import { stackTarget } from '../helpers/stack-target.js';
import { PROJECT_ROOT } from '../helpers/fixtures.js';
import { haveTool, readelfLoads, readelfSymbols } from '../elf/oracle.js';

/** A running stack_target and the addresses it printed: outer, inner, probe_me, getpid. */
interface Target {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly addresses: readonly bigint[];
}

async function startTarget(binary: string): Promise<Target> {
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      reject(new Error(`stack_target exited (${code ?? signal}) before printing its addresses`));
    });
  });
  return { child, pid: child.pid!, addresses: line.split(' ').map((word) => BigInt(word)) };
}

/** Lets the target leave probe_me and exit, and waits until it is reaped (gone from /proc). */
async function stopTarget(target: Target): Promise<void> {
  const exited = target.child.exitCode !== null ? Promise.resolve() : once(target.child, 'exit');
  target.child.stdin!.end('x');
  await exited;
}

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
  'every sized function of libc, as readelf lists them, resolves at its first and last byte',
  {
    skip: haveTool('readelf') ? undefined : 'needs readelf',
  },
  () => {
    // This process maps libc too; its executable mapping is the one the code lies in.
    const maps = new ProcessMappings();
    maps.seed(process.pid);
    const m = maps.mappings(process.pid).find((x) => /\/libc[.-][^/]*$/.test(x.path));
    assert.ok(m, 'node maps libc');
    const syms = readelfSymbols(m.path).filter((s) => s.ndx !== 'UND' && (s.type === 'FUNC' || s.type === 'IFUNC'));
    const table = syms.some((s) => s.table === '.symtab') ? '.symtab' : '.dynsym';
    const functions = syms.filter((s) => s.table === table && s.value !== 0n);
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
        const match = candidates.find((s) => s.name.replace(/@.*/, '') === hit.symbol);
        assert.ok(match, `${hit.symbol} for ${fn.name} at ${vaddr.toString(16)}`);
        assert.equal(BigInt(hit.offset), vaddr - match.value);
        checked++;
      }
    }
    assert.ok(checked > 1000, `checked ${checked} addresses`);
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
