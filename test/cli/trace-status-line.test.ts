/** The status line's text, its redraw in place, and its erasing around other output (terminal.test.ts runs it for real). */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { StatusLine, type StatusSample, statusText } from '../../src/cli/status-line.js';

test('the text: rate, delivered, lost and ring fill, with thousands separators', () => {
  const sample: StatusSample = { delivered: 1_234_567, lost: 89, ringFill: 0.256 };
  assert.equal(
    statusText(sample, 20_000.4, undefined),
    'perf-bridge: 20,000 events/s, 1,234,567 delivered, 89 lost, ring 26% full',
  );
  assert.equal(
    statusText({ delivered: 0, lost: 0, ringFill: 0 }, 0, undefined),
    'perf-bridge: 0 events/s, 0 delivered, 0 lost, ring 0% full',
  );
});

test('the text is cut to one column less than the terminal, so that it never wraps', () => {
  const text = statusText({ delivered: 1, lost: 2, ringFill: 0 }, 3, 30);
  assert.equal(text.length, 29);
  assert.ok('perf-bridge: 3 events/s, 1 delivered'.startsWith(text));
});

/** A terminal that records what is written to it. */
function recorder(columns = 200): { writes: string[]; write: (text: string) => void; columns: number } {
  const writes: string[] = [];
  return { writes, write: (text: string) => writes.push(text), columns };
}

test('each draw erases the line first; the rate is over the time since the oldest reading in the last second', () => {
  const terminal = recorder();
  let now = 0;
  let delivered = 0;
  const line = new StatusLine(
    terminal,
    () => ({ delivered, lost: 0, ringFill: 0.5 }),
    () => now,
  );
  line.start();
  now = 500;
  delivered = 1000;
  line.draw();
  assert.equal(terminal.writes.at(-1), '\r\x1b[Kperf-bridge: 2,000 events/s, 1,000 delivered, 0 lost, ring 50% full');
  now = 1500;
  delivered = 1500;
  line.draw();
  // The reading at 0 is past the window: the rate is from 500 ms on.
  assert.equal(terminal.writes.at(-1), '\r\x1b[Kperf-bridge: 500 events/s, 1,500 delivered, 0 lost, ring 50% full');
  line.stop();
});

test('clear() erases a shown line once, restore() puts the same text back, stop() erases it for good', () => {
  const terminal = recorder();
  const line = new StatusLine(
    terminal,
    () => ({ delivered: 5, lost: 1, ringFill: 0 }),
    () => 0,
  );
  line.clear();
  assert.equal(terminal.writes.length, 0, 'nothing shown, nothing to erase');
  line.start();
  line.draw();
  const drawn = terminal.writes.at(-1)!.slice('\r\x1b[K'.length);
  line.clear();
  line.clear();
  assert.equal(terminal.writes.slice(1).join('|'), '\r\x1b[K', 'erased once');
  line.restore();
  assert.equal(terminal.writes.at(-1), drawn);
  line.stop();
  assert.equal(terminal.writes.at(-1), '\r\x1b[K');
  const count = terminal.writes.length;
  line.restore();
  line.clear();
  assert.equal(terminal.writes.length, count, 'nothing after stop()');
});
