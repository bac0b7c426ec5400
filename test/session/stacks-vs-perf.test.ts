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

/** One event of `perf script`, with its call chain: [address, symbol or '[unknown]'] per frame. */
interface PerfStack {
  tid: number;
  time: bigint;
  frames: [bigint, string][];
}

/** Parses `perf script --ns -F tid,time,ip,sym`: a header line per event, then one line per frame. */
function parsePerfStacks(text: string): PerfStack[] {
  const stacks: PerfStack[] = [];
  for (const line of text.split('\n')) {
    const header = /^\s*(\d+)\s+(\d+)\.(\d{9}):/.exec(line);
    if (header) {
      stacks.push({
        tid: Number(header[1]),
        time: BigInt(header[2]!) * 1_000_000_000n + BigInt(header[3]!),
        frames: [],
      });
      continue;
    }
    const frame = /^\s+([0-9a-f]+) (.+)$/.exec(line);
    if (frame && stacks.length > 0) stacks.at(-1)!.frames.push([BigInt(`0x${frame[1]!}`), frame[2]!.trim()]);
  }
  return stacks;
}

test('user stacks equal perf script’s for the same events, frame by frame', { skip: noPerf }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-stacks-'));
  try {
    const data = join(dir, 'perf.data');
    const perf = ['perf', 'record', '-q', '-g', '-k', 'CLOCK_MONOTONIC', '-e', EVENT, '-o', data, '--'];
    const session = openSession({ events: [EVENT], stack: 'user', command: [...perf, ...stackTargetCommand(1)] });
    const events: TraceEvent[] = [];
    session.onBatch((batch) => events.push(...batch));
    session.start();
    assert.equal((await session.command!.exited).code, 0);
    session.close();
    const script = execFileSync('perf', ['script', '-i', data, '--ns', '-F', 'tid,time,ip,sym'], {
      maxBuffer: 64 << 20,
      encoding: 'utf8',
    });
    const perfStacks = new Map(parsePerfStacks(script).map((stack) => [`${stack.tid} ${stack.time}`, stack]));
    // The fixture's reads (perf's own reads are not in perf's record): matched by thread and time.
    const fixture = events.filter((event) => event.comm.startsWith('stack_target'));
    const matched = fixture.filter((event) => perfStacks.has(`${event.tid} ${event.time}`));
    assert.ok(fixture.length >= 2, `${fixture.length} reads of the fixture`);
    assert.equal(matched.length, fixture.length, 'perf recorded every read perf-bridge saw');
    for (const event of matched) {
      const expected = perfStacks.get(`${event.tid} ${event.time}`)!.frames;
      const ours = event.stack!.map((frame): [bigint, string] => [frame.ip, frame.symbol ?? '[unknown]']);
      assert.deepEqual(ours, expected);
    }
    assert.ok(
      matched.some((event) => event.stack!.some((frame) => frame.symbol === 'inner')),
      'the read from probe_me is among them',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
