/**
 * The stacks perf-bridge decodes equal those `perf script` prints for the same events: both
 * capture the same read() calls of the stack fixture at once (perf record runs as the session's
 * command, and runs the fixture), and each event's frames are compared by address and symbol.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type { TraceEvent } from '../../src/decode/records.js';
import { openSession } from '../../src/session/session.js';
import { havePerf } from '../helpers/perf-script.js';
import { stackTargetCommand } from '../helpers/stack-target.js';

const noPerf = !havePerf() && 'perf is not installed (apt linux-perf)';
const EVENT = 'syscalls:sys_enter_read';

/** One event of `perf script`: its thread name and the symbol of each frame ('[unknown]' for none). */
interface PerfStack {
  comm: string;
  symbols: string[];
}

/** Parses `perf script -F comm,ip,sym`: a line with the thread name per event, then one line per frame. */
function parsePerfStacks(text: string): PerfStack[] {
  const stacks: PerfStack[] = [];
  for (const line of text.split('\n')) {
    const frame = /^\s+[0-9a-f]+ (.+)$/.exec(line);
    if (frame && stacks.length > 0) stacks.at(-1)!.symbols.push(frame[1]!.trim());
    else if (/^\S/.test(line)) stacks.push({ comm: line.trim(), symbols: [] });
  }
  return stacks;
}

/** Events in time order (each tool's own clock reads differ by a few ns for one event). */
function byTime(a: TraceEvent, b: TraceEvent): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

test('user stacks equal perf script’s for the same events, frame by frame', { skip: noPerf }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-stacks-'));
  try {
    const data = join(dir, 'perf.data');
    const perf = ['perf', 'record', '-q', '-g', '-e', EVENT, '-o', data, '--'];
    const session = openSession({ events: [EVENT], stack: 'user', command: [...perf, ...stackTargetCommand(1)] });
    const events: TraceEvent[] = [];
    session.onBatch((batch) => events.push(...batch));
    session.start();
    assert.equal((await session.command!.exited).code, 0);
    session.close();
    const script = execFileSync('perf', ['script', '-i', data, '-F', 'comm,ip,sym'], {
      maxBuffer: 64 << 20,
      encoding: 'utf8',
    });
    // The fixture's reads, in order: perf's own reads are not in its record, the shell's are
    // left out by name in both.
    const isFixture = (comm: string) => comm.startsWith('stack_target');
    const expected = parsePerfStacks(script).filter((stack) => isFixture(stack.comm));
    const ours = events.filter((event) => isFixture(event.comm)).sort(byTime);
    assert.ok(ours.length >= 2, `${ours.length} reads of the fixture`);
    assert.equal(ours.length, expected.length, 'both saw the same reads');
    ours.forEach((event, i) => {
      const symbols = event.stack!.map((frame) => frame.symbol ?? '[unknown]');
      assert.deepEqual(symbols, expected[i]!.symbols, `read ${i}`);
    });
    assert.ok(
      ours.some((event) => event.stack!.some((frame) => frame.symbol === 'inner')),
      'the read from probe_me is among them',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
