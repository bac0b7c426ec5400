/**
 * RowOrder on hand-made time columns: runs merged into time order, equal times in batch order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RowOrder } from '../../src/output/time-order.js';

/** A time column as 32-bit halves, low first. */
function halves(times: readonly number[]): Uint32Array {
  return new Uint32Array(times.flatMap((t) => [t, 0]));
}

/** The rows RowOrder puts in time order, as `event:row`. */
function ordered(times: readonly (readonly number[])[], limit = Infinity): string[] {
  const order = new RowOrder();
  order.timeOrder(
    times.map(halves),
    times.map((t) => t.length),
    Math.min(
      limit,
      times.reduce((sum, t) => sum + t.length, 0),
    ),
  );
  const rows: string[] = [];
  for (let s = 0; s < order.count; s++)
    for (let r = order.from[s]!; r < order.to[s]!; r++) rows.push(`${order.event[s]}:${r}`);
  return rows;
}

test('runs of several events merge into time order', () => {
  // event 0: CPU A's rows then CPU B's (two runs); event 1: one run.
  assert.deepEqual(
    ordered([
      [10, 30, 50, 20, 40],
      [15, 35],
    ]),
    ['0:0', '1:0', '0:3', '0:1', '1:1', '0:4', '0:2'],
  );
  assert.deepEqual(
    ordered(
      [
        [10, 30, 50, 20, 40],
        [15, 35],
      ],
      3,
    ),
    ['0:0', '1:0', '0:3'],
  );
});

test('rows with equal times keep batch order', () => {
  // The later event's run starts earlier, then reaches the earlier event's time.
  assert.deepEqual(ordered([[5], [3, 5, 5]]), ['1:0', '0:0', '1:1', '1:2']);
  assert.deepEqual(ordered([[3, 5, 5], [5]]), ['0:0', '0:1', '0:2', '1:0']);
  assert.deepEqual(ordered([[7, 7], [7]]), ['0:0', '0:1', '1:0']);
});
