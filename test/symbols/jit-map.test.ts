/**
 * JitMap and JitMaps: the map a real node child writes with --perf-basic-prof, and a map file
 * grown by hand (appends, a line finished later, overlaps, a replaced file, a missing one).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { JitMap, JitMaps } from '../../src/symbols/jit-map.js';
import { seededRandom } from '../helpers/random.js';

/** A pid no process has (above the kernel's largest pid_max, 2^22): only our own files exist for it. */
const FAKE_PID = 5_000_001;

/** `symbol+offset module` of `ip`, or `-` when it does not resolve. */
function named(map: JitMap, ip: bigint): string {
  const hit = map.resolve(ip);
  return hit === undefined ? '-' : `${hit.symbol}+${hit.offset} ${hit.module ?? '?'}`;
}

/** One line of a perf map file. */
interface MapLine {
  start: number;
  end: number;
  name: string;
}

function parseMapFile(text: string): MapLine[] {
  return text
    .split('\n')
    .map((line) => /^([0-9a-f]+) ([0-9a-f]+) (.+)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => {
      const start = Number.parseInt(match[1]!, 16);
      return { start, end: start + Number.parseInt(match[2]!, 16), name: match[3]! };
    });
}

/** The last of `lines` that `matches` (Array.prototype.findLast is ES2023, past our lib). */
function lastWhere(lines: readonly MapLine[], matches: (line: MapLine) => boolean): MapLine | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (matches(lines[i]!)) return lines[i];
  return undefined;
}

/** The slow, obvious answer: the last line of the file whose range holds `address`. */
function latestCovering(lines: readonly MapLine[], address: number): MapLine | undefined {
  return lastWhere(lines, (line) => line.start <= address && address < line.end);
}

describe('JitMap over the map of a real node --perf-basic-prof child', () => {
  const functionName = 'pbJitMapTestTarget';
  let mapPath = '';
  let lines: MapLine[] = [];
  let pid = 0;

  before(() => {
    // Hot enough that V8 compiles it (baseline and optimized code), each logged to the map.
    const script =
      `function ${functionName}(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s }\n` +
      `let total = 0; for (let i = 0; i < 3000; i++) total += ${functionName}(1000);\n` +
      `if (total < 0) console.log(total);`;
    const child = spawnSync(process.execPath, ['--perf-basic-prof', '-e', script], { encoding: 'utf8' });
    pid = child.pid;
    mapPath = `/tmp/perf-${pid}.map`;
    assert.equal(child.status, 0, child.stderr);
    lines = parseMapFile(readFileSync(mapPath, 'utf8'));
  });

  after(() => {
    if (mapPath !== '') rmSync(mapPath, { force: true });
  });

  test("the child's function resolves from the START the file gives it, +1 to offset 1", () => {
    const map = new JitMap(pid);
    // The last entry of the function whose second byte no later entry took over.
    const entry = lastWhere(
      lines,
      (line) => line.name.includes(functionName) && latestCovering(lines, line.start + 1) === line,
    );
    assert.ok(entry !== undefined, `no entry names ${functionName} in ${mapPath}`);
    assert.deepEqual(map.resolve(BigInt(entry.start) + 1n), { symbol: entry.name, offset: 1, module: '[jit]' });
  });

  test('every entry start resolves as the slow scan of the file says', () => {
    const map = new JitMap(pid);
    assert.ok(lines.length > 100, `only ${lines.length} lines in ${mapPath}`);
    const step = Math.max(1, Math.floor(lines.length / 500));
    for (let i = 0; i < lines.length; i += step) {
      for (const address of [lines[i]!.start, lines[i]!.end - 1, lines[i]!.end]) {
        const expected = latestCovering(lines, address);
        const got = map.resolve(BigInt(address));
        assert.deepEqual(
          got,
          expected === undefined
            ? undefined
            : { symbol: expected.name, offset: address - expected.start, module: '[jit]' },
          `address ${address.toString(16)}`,
        );
      }
    }
  });
});

describe('JitMap over a map file that grows', () => {
  let dir = '';
  let path = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-jit-map-'));
    path = join(dir, `perf-${FAKE_PID}.map`);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('missing file, then lines, appends, a half line finished later, overlaps, a new file', async () => {
    const map = new JitMap(FAKE_PID, dir);
    assert.equal(map.path, path);

    // Missing: nothing, and no error. Within 100 ms of that miss the file is not looked for again.
    const missedAt = performance.now();
    assert.equal(named(map, 0x1000n), '-');
    writeFileSync(path, '1000 100 first\n2000 80 LazyCompile:~work /path/x.js:3\n');
    const stillBelieved = map.resolve(0x1000n);
    if (performance.now() - missedAt < 50) assert.equal(stillBelieved, undefined);
    await sleep(110);
    assert.equal(named(map, 0x1000n), 'first+0 [jit]');
    assert.equal(named(map, 0x10ffn), 'first+255 [jit]');
    assert.equal(named(map, 0x1100n), '-');
    assert.equal(named(map, 0x2010n), 'LazyCompile:~work /path/x.js:3+16 [jit]');
    assert.equal(named(map, 0xfffn), '-');

    // An append, ending in half a line (cut inside the UTF-8 of "ö"): the whole lines are read.
    const half = Buffer.from('4000 10 gr\u00f6\u00dfe');
    appendFileSync(path, Buffer.concat([Buffer.from('3000 10 third\n'), half.subarray(0, 11)]));
    assert.equal(named(map, 0x3005n), 'third+5 [jit]');
    assert.equal(named(map, 0x4000n), '-');
    appendFileSync(path, Buffer.concat([half.subarray(11), Buffer.from('\n')]));
    assert.equal(named(map, 0x400fn), 'gr\u00f6\u00dfe+15 [jit]');
    assert.equal(named(map, 0x3005n), 'third+5 [jit]'); // the earlier lines are kept

    // A later entry over part of an earlier one (code space reused) wins there, once read: a hit
    // does not look at the file, refresh() does.
    appendFileSync(path, '1040 20 second\n');
    assert.equal(named(map, 0x1050n), 'first+80 [jit]');
    assert.equal(map.refresh(), true);
    assert.equal(named(map, 0x103fn), 'first+63 [jit]');
    assert.equal(named(map, 0x1050n), 'second+16 [jit]');
    assert.equal(named(map, 0x1060n), 'first+96 [jit]');
    assert.equal(map.refresh(), false); // nothing new

    // A shorter file (the pid's next process truncated it): the old entries are gone.
    writeFileSync(path, '5000 10 next process\n');
    assert.equal(named(map, 0x5005n), 'next process+5 [jit]');
    assert.equal(named(map, 0x3005n), '-');

    // A file replaced by another (a new inode), even a longer one: read from its start.
    const replacement = join(dir, 'replacement');
    writeFileSync(replacement, '6000 10 replaced one\n6100 10 replaced two, a longer line than before\n');
    renameSync(replacement, path);
    assert.equal(named(map, 0x6105n), 'replaced two, a longer line than before+5 [jit]');
    assert.equal(named(map, 0x5005n), '-');
  });

  test('bad lines, size 0 and addresses past 2^53 are skipped; 0x prefixes are taken', () => {
    const otherPid = FAKE_PID + 1;
    writeFileSync(
      join(dir, `perf-${otherPid}.map`),
      [
        'not a line',
        '7000 0 empty',
        '7000',
        '0x7100 0x10 prefixed',
        '7200 zz bad size',
        '20000000000000 10 too high',
        '7300 10 kept',
        '',
      ].join('\n'),
    );
    const map = new JitMap(otherPid, dir);
    assert.equal(named(map, 0x7000n), '-');
    assert.equal(named(map, 0x7101n), 'prefixed+1 [jit]');
    assert.equal(named(map, 0x7200n), '-');
    assert.equal(named(map, 0x20000000000005n), '-');
    assert.equal(named(map, 0x730fn), 'kept+15 [jit]');
    assert.equal(named(map, -1n), '-');
  });
});

describe('JitMap against the slow scan, on random maps grown in rounds', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pb-jit-map-random-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`seed ${seed}: disjoint rounds merge, overlapping rounds repaint, later entries win`, () => {
      const random = seededRandom(seed);
      const pid = FAKE_PID + 10 + seed;
      const path = join(dir, `perf-${pid}.map`);
      writeFileSync(path, '');
      const map = new JitMap(pid, dir);
      const lines: MapLine[] = [];
      for (let round = 0; round < 8; round++) {
        // Even rounds place code in fresh space (no overlap); odd rounds reuse old space.
        const base = round % 2 === 0 ? 0x10000 * (round + 1) : 0x10000;
        let text = '';
        for (let i = 0; i < 40; i++) {
          const start = base + Math.floor(random() * 0x8000);
          // Reused space gets some long entries too, each covering several older ones.
          const size = 1 + Math.floor(random() * (round % 2 === 0 ? 0x200 : 0x1000));
          const line = { start, end: start + size, name: `fn${round}.${i}` };
          if (round % 2 === 0 && lines.some((old) => old.start < line.end && line.start < old.end)) continue;
          lines.push(line);
          text += `${start.toString(16)} ${size.toString(16)} ${line.name}\n`;
        }
        appendFileSync(path, text);
        map.refresh();
        for (let probe = 0; probe < 400; probe++) {
          const address = 0x10000 + Math.floor(random() * 0x70000);
          const expected = latestCovering(lines, address);
          assert.deepEqual(
            map.resolve(BigInt(address)),
            expected === undefined
              ? undefined
              : { symbol: expected.name, offset: address - expected.start, module: '[jit]' },
            `round ${round}, address ${address.toString(16)}`,
          );
        }
      }
    });
  }
});

describe('JitMaps', () => {
  test('get-or-create by pid, keeping the most recently used up to its capacity', () => {
    const maps = new JitMaps(2);
    const first = maps.get(FAKE_PID);
    const second = maps.get(FAKE_PID + 1);
    assert.equal(maps.get(FAKE_PID), first); // now the most recent
    maps.get(FAKE_PID + 2); // evicts FAKE_PID + 1, the least recently used
    assert.equal(maps.size, 2);
    assert.equal(maps.get(FAKE_PID), first);
    assert.notEqual(maps.get(FAKE_PID + 1), second);
  });

  test('a pid no process can have resolves nothing and does not throw', () => {
    const maps = new JitMaps();
    assert.equal(maps.resolve(0, 0x1000n), undefined);
    assert.equal(maps.resolve(-1, 0x1000n), undefined);
  });
});
