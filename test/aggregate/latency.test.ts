/**
 * latency(): nesting, carry-over across batches, rows out of time order, unmatched returns and
 * percentiles on hand-built batches; a uprobe/uretprobe pair on the real kernel.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { AggregationError, formatDuration, latency } from '../../src/aggregate/index.js';
import { uprobe, uretprobe } from '../../src/probes/builder.js';
import { batchOf, eventColumns, formatOf, formatsOf, histogramCounts, type SampleRow } from './columns.js';
import { aggregateCalls } from './calls.js';

const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events';
const FORMATS = formatsOf(formatOf('enter', ['s64 value:8']), formatOf('leave', ['s64 ret:8']));
const PAIR = { entry: 'enter', exit: 'leave' };
/** A large monotonic base, past 2^53 ns: times are exact relative to the first one seen. */
const BASE = 1n << 60n;

/** Rows of thread `tid` at BASE + each time. */
function at(tid: number, times: readonly number[], cpu = 0): SampleRow[] {
  return times.map((time) => ({ pid: tid, tid, cpu, time: BASE + BigInt(time) }));
}

function batch(enter: SampleRow[], leave: SampleRow[]) {
  return batchOf({ enter: eventColumns(enter), leave: eventColumns(leave) });
}

test('nesting: a recursive call pairs innermost first; threads are paired apart', () => {
  const calls = latency(PAIR, FORMATS);
  // Thread 1: enter 10, enter 20, leave 25, leave 40. Thread 2 interleaved: enter 15, leave 115.
  calls.add(batch([...at(1, [10, 20]), ...at(2, [15])], [...at(1, [25, 40]), ...at(2, [115])]));
  const summary = calls.summary();
  assert.deepEqual(
    [summary.count, summary.min, summary.max, summary.unmatchedReturns, summary.open],
    [3, 5, 100, 0, 0],
  );
  assert.equal(summary.p50, 30, 'durations 5, 30, 100');
});

test('entries open at the end of a batch pair with returns of later batches', () => {
  const calls = latency(PAIR, FORMATS);
  calls.add(batch(at(7, [100, 200]), at(7, [150])));
  assert.equal(calls.summary().open, 1);
  assert.match(calls.render(), /^open {3}1 \(entered, not returned yet\)$/m);
  calls.add(batch([], at(7, [1_200])));
  calls.add(batch([], []));
  const summary = calls.summary();
  assert.deepEqual([summary.count, summary.min, summary.max, summary.open], [2, 50, 1_000, 0]);
});

test('rows in ring order (one CPU after another) are paired in time order', () => {
  const calls = latency(PAIR, FORMATS);
  // The thread ran on CPU 1 then CPU 0: each event's rows list CPU 0's first.
  calls.add(batch([...at(3, [30], 0), ...at(3, [10], 1)], [...at(3, [40], 0), ...at(3, [20], 1)]));
  const summary = calls.summary();
  assert.deepEqual([summary.count, summary.min, summary.max, summary.unmatchedReturns], [2, 10, 10, 0]);
});

test('a return read before its entry waits for it; one with no entry at all is unmatched', () => {
  const calls = latency(PAIR, FORMATS);
  calls.add(batch([], at(5, [20]))); // its entry (at 10) is in a ring read after this batch
  assert.equal(calls.summary().unmatchedReturns, 1, 'unmatched while it waits');
  calls.add(batch(at(5, [10, 30]), at(5, [45])));
  let summary = calls.summary();
  assert.deepEqual(
    [summary.count, summary.min, summary.max, summary.unmatchedReturns, summary.open],
    [2, 10, 15, 0, 0],
  );
  // Nested calls whose two entries are both read late pair innermost first.
  calls.add(batch([], at(5, [120, 140])));
  calls.add(batch(at(5, [100, 110]), []));
  summary = calls.summary();
  assert.deepEqual([summary.count, summary.max, summary.unmatchedReturns, summary.open], [4, 40, 0, 0]);
  // A return no entry comes for stays unmatched, counted once, after the batches it waits.
  const orphan = latency(PAIR, FORMATS);
  orphan.add(batch([], at(6, [50])));
  for (let i = 0; i < 6; i++) orphan.add(batch(at(7, [1_000 + 10 * i]), at(7, [1_005 + 10 * i])));
  summary = orphan.summary();
  assert.deepEqual([summary.count, summary.unmatchedReturns, summary.open], [6, 1, 0]);
  assert.match(orphan.render(), /^unmatched returns {2}1 \(/m);
  // A return earlier than the thread's open entry cannot end it.
  const late = latency(PAIR, FORMATS);
  late.add(batch(at(6, [100]), []));
  late.add(batch([], at(6, [50])));
  assert.deepEqual([late.summary().count, late.summary().unmatchedReturns, late.summary().open], [0, 1, 1]);
});

test('percentiles by nearest rank, the table in readable units, and a histogram of durations', () => {
  const calls = latency(PAIR, FORMATS);
  const starts = Array.from({ length: 100 }, (_, i) => i * 1_000_000);
  const ends = starts.map((start, i) => start + (i + 1) * 1_000); // durations 1 µs … 100 µs
  calls.add(batch(at(9, starts), at(9, ends)));
  const summary = calls.summary();
  assert.deepEqual([summary.p50, summary.p90, summary.p99, summary.max], [50_000, 90_000, 99_000, 100_000]);
  const text = calls.render();
  assert.match(
    text,
    /^enter → leave\ncount {2}100\nmin {4}1\.00 µs\np50 {4}50\.0 µs\np90 {4}90\.0 µs\np99 {4}99\.0 µs\nmax {4}100 µs\n/,
  );
  const buckets = histogramCounts(text);
  assert.equal(buckets.get('[512, 1K)'), 1, '1000 ns');
  assert.equal(buckets.get('[1K, 2K)'), 1, '2000 ns');
  assert.equal(buckets.get('[64K, 128K)'), 35, '66 µs to 100 µs');
  assert.equal(
    [...buckets.values()].reduce((a, b) => a + b, 0),
    100,
  );
  calls.reset();
  assert.equal(calls.render(), 'enter → leave\ncount  0\n');
});

test('durations are written in the unit that reads best', () => {
  assert.deepEqual(
    [0, 999, 1_000, 12_345, 999_499, 999_600, 4_560_000, 1_200_000_000, 3_600_000_000_000].map(formatDuration),
    ['0 ns', '999 ns', '1.00 µs', '12.3 µs', '999 µs', '1.00 ms', '4.56 ms', '1.20 s', '3600 s'],
  );
});

test('events that are not traced, or the same event twice, are refused', () => {
  assert.throws(
    () => latency({ entry: 'entr', exit: 'leave' }, FORMATS),
    (error: unknown) =>
      error instanceof AggregationError &&
      error.message.includes("latency entry: event 'entr' is not traced") &&
      error.hint.includes("did you mean 'enter'? traced events: enter, leave"),
  );
  assert.throws(() => latency({ entry: 'enter', exit: 'leav' }, FORMATS), /latency return: event 'leav'/);
  assert.throws(() => latency({ entry: 'enter', exit: 'enter' }, FORMATS), /the same event 'enter'/);
});

test(
  'a uprobe/uretprobe pair on a function called N times: N calls, every one longer than 0',
  { skip: noUprobes },
  async () => {
    const N = 5_000;
    const calls = await aggregateCalls(
      N,
      (binary) => ({ enter: uprobe(binary, 'pb_target'), leave: uretprobe(binary, 'pb_target') }),
      (formats) => latency({ entry: 'enter', exit: 'leave' }, formats),
    );
    const summary = calls.summary();
    const text = calls.render();
    assert.deepEqual([summary.count, summary.unmatchedReturns, summary.open], [N, 0, 0], text);
    assert.ok(summary.min! > 0, text);
    assert.equal(histogramCounts(text).get('[0]'), undefined);
  },
);
