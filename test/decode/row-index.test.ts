import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RowIndex } from '../../src/decode/row-index.js';

/** Fills an index the way the walk does: `rows` as [position, owner] in ring order. */
function indexOf(rows: [number, number][]): RowIndex {
  const index = new RowIndex();
  index.reset(rows.length * 44);
  rows.forEach(([position, owner], row) => {
    index.positions[row] = position;
    index.owners[row] = owner;
  });
  index.length = rows.length;
  return index;
}

test('rows are grouped by event, each event keeping ring order', () => {
  const index = indexOf([
    [0, 0],
    [48, 1],
    [96, 0],
    [144, 2],
    [192, 1],
    [240, 0],
  ]);
  const grouped = index.byOwner([3, 2, 1]);
  assert.deepEqual([...grouped.subarray(0, 6)], [0, 96, 240, 48, 192, 144]);
});

test('events without rows take no room, and one event with rows is returned as walked', () => {
  const index = indexOf([
    [0, 1],
    [56, 1],
  ]);
  assert.deepEqual([...index.byOwner([0, 2, 0]).subarray(0, 2)], [0, 56]);
  const mixed = indexOf([
    [0, 2],
    [56, 0],
  ]);
  assert.deepEqual([...mixed.byOwner([1, 0, 1]).subarray(0, 2)], [56, 0]);
});

test('reset makes room for every record a batch can hold', () => {
  const index = new RowIndex();
  index.reset(44 * 1000);
  assert.ok(index.positions.length >= 1000 && index.owners.length >= 1000);
  index.reset(10);
  assert.ok(index.positions.length >= 1000, 'the arrays are kept for the next batch');
});
