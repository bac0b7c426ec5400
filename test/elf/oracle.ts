/**
 * Test helpers for test/elf: build the fixture program with `cc` in a temp
 * directory, and compute expected uprobe offsets *independently* of
 * src/elf by parsing `readelf -sW` and `readelf -lW` output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C source of the fixture (in the source tree, read-only is fine). */
export const FIXTURE_SOURCE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../test/fixtures/programs/elf_target.c',
);

/** Run a command, returning stdout; throws with stderr when it fails. */
export function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** True when `tool` can be run (so tests can skip with a reason instead of failing). */
export function haveTool(tool: string): boolean {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

/** Why the fixture tests cannot run here, or undefined when they can. */
export function missingTools(): string | undefined {
  const missing = ['cc', 'readelf', 'strip'].filter((t) => !haveTool(t));
  return missing.length > 0 ? `needs ${missing.join(', ')}` : undefined;
}

/** The compiled variants of the fixture. */
export interface FixtureBuild {
  readonly dir: string;
  /** Executables: -O2 (distro default, PIE here), -O0 -no-pie, -O2 -pie, -O2 -rdynamic. */
  readonly o2: string;
  readonly o0NoPie: string;
  readonly o2Pie: string;
  readonly rdynamic: string;
  /** Shared library with symbol versions PB_1 / PB_2. */
  readonly lib: string;
  /** An unlinked object file. */
  readonly object: string;
  cleanup(): void;
}

/** Compile every variant into a fresh directory under os.tmpdir(). */
export function buildFixture(): FixtureBuild {
  const dir = mkdtempSync(join(tmpdir(), 'pb-elf-test-'));
  // The second translation unit is the same source with PB_SECOND_UNIT, which
  // adds a second static pb_dup at another address.
  const second = join(dir, 'second_unit.c');
  writeFileSync(second, `#define PB_SECOND_UNIT\n#include "${FIXTURE_SOURCE}"\n`);
  const map = join(dir, 'lib.map');
  writeFileSync(
    map,
    'PB_1 { global: pb_add; pb_loop; pb_dispatch; pb_counter; pb_ver; local: *; };\nPB_2 { global: pb_ver; } PB_1;\n',
  );
  const out = (name: string) => join(dir, name);
  run('cc', ['-O2', '-o', out('o2'), FIXTURE_SOURCE, second]);
  run('cc', ['-O0', '-fno-pie', '-no-pie', '-o', out('o0-nopie'), FIXTURE_SOURCE, second]);
  run('cc', ['-O2', '-fPIE', '-pie', '-o', out('o2-pie'), FIXTURE_SOURCE, second]);
  run('cc', ['-O2', '-rdynamic', '-o', out('o2-rdynamic'), FIXTURE_SOURCE, second]);
  run('cc', [
    '-O2',
    '-shared',
    '-fPIC',
    '-DPB_SHARED_LIB',
    `-Wl,--version-script=${map}`,
    '-o',
    out('libpb.so'),
    FIXTURE_SOURCE,
  ]);
  run('cc', ['-O2', '-c', '-o', out('target.o'), FIXTURE_SOURCE]);
  return {
    dir,
    o2: out('o2'),
    o0NoPie: out('o0-nopie'),
    o2Pie: out('o2-pie'),
    rdynamic: out('o2-rdynamic'),
    lib: out('libpb.so'),
    object: out('target.o'),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One row of `readelf -sW`. */
export interface ReadelfSymbol {
  readonly table: string;
  readonly value: bigint;
  readonly size: number;
  readonly type: string;
  readonly bind: string;
  readonly ndx: string;
  /** Name as readelf prints it, including any `@VER` / `@@VER`. */
  readonly name: string;
}

/** Every symbol of every table, as readelf sees it. */
export function readelfSymbols(path: string): ReadelfSymbol[] {
  const rows: ReadelfSymbol[] = [];
  let table = '';
  for (const line of run('readelf', ['-sW', path]).split('\n')) {
    const header = /^Symbol table '([^']+)'/.exec(line);
    if (header) {
      table = header[1]!;
      continue;
    }
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s+(\S+)/.exec(line);
    if (m) {
      rows.push({
        table,
        value: BigInt(`0x${m[1]!}`),
        size: Number(m[2]),
        type: m[3]!,
        bind: m[4]!,
        ndx: m[5]!,
        name: m[6]!,
      });
    }
  }
  return rows;
}

/** One PT_LOAD row of `readelf -lW`. */
export interface ReadelfLoad {
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly filesz: bigint;
}

/** The PT_LOAD program headers, as readelf sees them. */
export function readelfLoads(path: string): ReadelfLoad[] {
  const loads: ReadelfLoad[] = [];
  for (const line of run('readelf', ['-lW', path]).split('\n')) {
    const m = /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)/.exec(line);
    if (m) loads.push({ offset: BigInt(m[1]!), vaddr: BigInt(m[2]!), filesz: BigInt(m[4]!) });
  }
  return loads;
}

/** What perf would compute for `name` (exact readelf name), from readelf alone. */
export interface ExpectedTarget {
  readonly offset: number;
  readonly value: bigint;
  readonly size: number;
  readonly type: string;
}

/**
 * The expected uprobe offset of the defined FUNC/IFUNC symbol printed by
 * readelf as `name`: prefer .symtab, like perf, then .dynsym. Throws when the
 * name is missing or maps to several addresses (the test then asked wrongly).
 */
export function expectedTarget(path: string, name: string): ExpectedTarget {
  const syms = readelfSymbols(path).filter(
    (s) => s.name === name && s.ndx !== 'UND' && (s.type === 'FUNC' || s.type === 'IFUNC'),
  );
  const symtab = syms.filter((s) => s.table === '.symtab');
  const pool = symtab.length > 0 ? symtab : syms;
  const values = new Set(pool.map((s) => s.value));
  if (values.size !== 1) throw new Error(`oracle: ${name} has ${values.size} addresses in ${path}`);
  const sym = pool[0]!;
  const load = readelfLoads(path).find((l) => sym.value >= l.vaddr && sym.value < l.vaddr + l.filesz);
  if (!load) throw new Error(`oracle: no PT_LOAD contains ${name} in ${path}`);
  return { offset: Number(sym.value - load.vaddr + load.offset), value: sym.value, size: sym.size, type: sym.type };
}
