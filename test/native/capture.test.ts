/**
 * The native Capture on its own, below the session: what it tells TypeScript (the hangup flag, the
 * ring-major sample ids), the types it accepts, and that a capture failing halfway leaves nothing open.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import { test } from 'node:test';

import { type NativeCapture, type NativeCaptureOptions, native } from '../../src/native.js';
import { bufferFilledSlot, drainCountsLength, sampleIdSlot } from '../../src/native-protocol.js';
import { onlineCpus } from '../../src/session/cpus.js';
import { parseEventName, readEventId } from '../../src/tracefs/events.js';
import { openFds } from '../helpers/processes.js';

const PERF_TYPE_TRACEPOINT = 2;
/** Both fire once in a task that exits: the exit_group call, then do_exit's tracepoint. */
const EXIT_EVENTS = ['syscalls:sys_enter_exit_group', 'sched:sched_process_exit'];
/** Offsets in a sample record (PERF_SAMPLE_IDENTIFIER | TID | TIME | CPU | RAW, after the header). */
const RECORD = { size: 6, id: 8, pid: 16, cpu: 32 } as const;
/** A tracepoint id no kernel hands out: opening it fails. */
const NO_SUCH_TRACEPOINT = 0x7fffffffn;
/** Far beyond the milliseconds a healthy run takes from cat's exit to the hangup. */
const HANGUP_DEADLINE_MS = 10_000;
const noListener = (): void => undefined;

async function rejectAfter(ms: number, message: string): Promise<never> {
  await setTimeout(ms, undefined, { ref: false });
  throw new Error(message);
}

function tracepoint(name: string): NativeCaptureOptions['events'][number] {
  return { type: PERF_TYPE_TRACEPOINT, config: BigInt(readEventId(parseEventName(name))) };
}

function captureOptions(overrides: Partial<NativeCaptureOptions> = {}): NativeCaptureOptions {
  return {
    events: [tracepoint(EXIT_EVENTS[0]!)],
    cpus: [0],
    targets: [-1],
    inherit: false,
    ringPages: 1,
    ...overrides,
  };
}

/** The perf ring mappings of this process. */
function perfMappings(): string[] {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('perf_event'));
}

/** Everything in the rings: each sample's event index (found through ids()), pid and CPU. */
function drainSamples(capture: NativeCapture, cpus: number[], eventCount: number) {
  const ids = capture.ids();
  const out = new ArrayBuffer(1 << 16);
  const counts = new Float64Array(drainCountsLength(capture.ringCount));
  const samples: { eventIndex: number; pid: number; cpu: number }[] = [];
  do {
    const view = new DataView(out, 0, capture.drain(out, counts, new ArrayBuffer(0)));
    for (let at = 0; at < view.byteLength; at += view.getUint16(at + RECORD.size, true)) {
      const cpu = view.getUint32(at + RECORD.cpu, true);
      const ring = cpus.indexOf(cpu);
      const id = view.getBigUint64(at + RECORD.id, true);
      const eventIndex = Array.from({ length: eventCount }, (_, e) => e).find(
        (e) => ids[sampleIdSlot(ring, 0, e, 1, eventCount)] === id,
      );
      assert.ok(eventIndex !== undefined, `sample id ${id} is one of ring ${ring}'s (cpu ${cpu})`);
      samples.push({ eventIndex, pid: view.getUint32(at + RECORD.pid, true), cpu });
    }
  } while (counts[bufferFilledSlot(capture.ringCount)] === 1);
  return samples;
}

test('a traced task that exits reaches the readiness listener as hangup = true, and the watch then ends', async () => {
  const child = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
  const cpus = onlineCpus();
  const calls: boolean[] = [];
  let hungUp: () => void = noListener;
  const hangup = new Promise<void>((resolve) => (hungUp = resolve));
  const { Capture } = native();
  let capture: NativeCapture | undefined;
  try {
    capture = new Capture(
      captureOptions({ events: EXIT_EVENTS.map(tracepoint), cpus, targets: [child.pid!] }),
      (isHangup) => {
        calls.push(isHangup);
        if (isHangup) hungUp();
      },
    );
    capture.enable();
    child.stdin.end(); // cat reads end of file and exits
    await Promise.race([hangup, rejectAfter(HANGUP_DEADLINE_MS, 'no hangup reached the listener')]);
    const callsAtHangup = calls.length;
    await setTimeout(100);
    assert.equal(calls.length, callsAtHangup, 'no readiness calls after the hangup: the native watch stopped');
    assert.deepEqual(
      drainSamples(capture, cpus, EXIT_EVENTS.length).map(({ eventIndex, pid }) => ({ eventIndex, pid })),
      [
        { eventIndex: 0, pid: child.pid },
        { eventIndex: 1, pid: child.pid },
      ],
      'each exit event once, found by its ring-major sample id',
    );
  } finally {
    capture?.close();
    if (child.exitCode === null) child.kill();
  }
});

test('an option or argument of the wrong type throws a TypeError naming it, and opens nothing', () => {
  const before = { fds: openFds(), mappings: perfMappings() };
  const { Capture } = native();
  const cases: [unknown, RegExp][] = [
    [{ ...captureOptions(), cpus: '0' }, /^Capture: options\.cpus must be an array$/],
    [{ ...captureOptions(), cpus: ['0'] }, /^Capture: options\.cpus\[0\] must be a number$/],
    [{ ...captureOptions(), events: [{ type: 2, config: '1' }] }, /options\.events\[0\]\.config must be a bigint/],
    [{ ...captureOptions(), events: [{ type: 2, config: 1n, config1String: 7 }] }, /config1String must be a string/],
    [{ ...captureOptions(), ringPages: '1' }, /^Capture: options\.ringPages must be a number$/],
    [{ ...captureOptions(), inherit: 1 }, /^Capture: options\.inherit must be a boolean$/],
    [{ ...captureOptions(), targets: ['1'] }, /^Capture: options\.targets\[0\] must be a number$/],
    [null, /^Capture: options must be an object$/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => new Capture(options as NativeCaptureOptions, noListener), { name: 'TypeError', message });
  }
  assert.throws(
    () => new Capture(captureOptions(), null as never),
    /^TypeError: Capture: onReadable must be a function/,
  );
  const capture = new Capture(captureOptions(), noListener);
  try {
    const counts = new Float64Array(drainCountsLength(capture.ringCount));
    const none = new ArrayBuffer(0);
    assert.throws(() => capture.drain('out' as never, counts, none), /^TypeError: drain: out must be an ArrayBuffer$/);
    assert.throws(
      () => capture.drain(new ArrayBuffer(64), counts, null as never),
      /^TypeError: drain: sideBandOut must be an ArrayBuffer$/,
    );
    const wrongArray = new Float32Array(counts.length);
    assert.throws(
      () => capture.drain(new ArrayBuffer(64), wrongArray as never, none),
      /drain: counts must be a Float64Array/,
    );
  } finally {
    capture.close();
  }
  assert.deepEqual({ fds: openFds(), mappings: perfMappings() }, before);
});

test('a capture failing halfway unmaps and closes everything it had opened', () => {
  const before = { fds: openFds(), mappings: perfMappings() };
  const { Capture } = native();
  const [first] = onlineCpus();
  const failures: [NativeCaptureOptions, { eventIndex: number; cpu: number }][] = [
    // The third ring fails: two whole rings are open by then.
    [captureOptions({ cpus: [first!, first!, 1 << 20] }), { eventIndex: 0, cpu: 1 << 20 }],
    // The ring's second event fails: its leader is open, mapped and watched by then.
    [
      captureOptions({
        events: [tracepoint(EXIT_EVENTS[0]!), { type: PERF_TYPE_TRACEPOINT, config: NO_SUCH_TRACEPOINT }],
      }),
      { eventIndex: 1, cpu: 0 },
    ],
  ];
  for (const [options, where] of failures) {
    assert.throws(
      () => new Capture(options, noListener),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.equal((error as { syscall?: string }).syscall, 'perf_event_open');
        assert.deepEqual(
          { eventIndex: (error as { eventIndex?: number }).eventIndex, cpu: (error as { cpu?: number }).cpu },
          where,
        );
        return true;
      },
    );
    assert.deepEqual({ fds: openFds(), mappings: perfMappings() }, before, JSON.stringify(where));
  }
});
