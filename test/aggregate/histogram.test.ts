/**
 * histogram(): bucket edges on hand-built batches, the errors a user can cause, and a uprobe's s64
 * argument of known values on the real kernel, bucket by bucket.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { AggregationError, histogram } from '../../src/aggregate/index.js';
import { reg } from '../../src/probes/fetch.js';
import { uprobe } from '../../src/probes/builder.js';
import { callValue } from '../helpers/loadgen-calls.js';
import { batchOf, eventColumns, formatOf, formatsOf, histogramCounts, rowsOf } from './columns.js';
import { aggregateCalls } from './calls.js';

const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events';
const CALL = formatOf('call', ['s64 value:8', 'u32 small:4', 'int signed_small:4', '__data_loc char[] label:4']);

function signedBatch(values: readonly bigint[]) {
  return batchOf({ call: eventColumns(rowsOf(values.length), { value: BigInt64Array.from(values) }) });
}

test('bucket edges: 0, 1, 2, 3, 4, 2^63-1 and negatives down to -2^63', () => {
  const max = (1n << 63n) - 1n;
  const values = [0n, 1n, 2n, 3n, 4n, 7n, 8n, 1023n, 1024n, max, -1n, -2n, -3n, -4n, -5n, -(1n << 63n)];
  const hist = histogram('value', formatsOf(CALL));
  hist.add(signedBatch(values));
  const text = hist.render();
  const counts = histogramCounts(text);
  assert.equal(counts.get('[0]'), 1);
  assert.equal(counts.get('[1]'), 1);
  assert.equal(counts.get('[2, 4)'), 2);
  assert.equal(counts.get('[4, 8)'), 2);
  assert.equal(counts.get('[8, 16)'), 1);
  assert.equal(counts.get('[512, 1K)'), 1);
  assert.equal(counts.get('[1K, 2K)'), 1);
  assert.equal(counts.get('[4E, 8E)'), 1, '2^63-1 is in the top bucket of a signed field');
  assert.equal(counts.get('[-1]'), 1);
  assert.equal(counts.get('(-4, -2]'), 2, '-2 and -3');
  assert.equal(counts.get('(-8, -4]'), 2, '-4 and -5');
  assert.equal(counts.get('(-16E, -8E]'), 1, '-2^63');
  assert.equal(counts.get('[16, 32)'), 0, 'empty buckets between are shown');
  assert.equal(
    [...counts.values()].reduce((a, b) => a + b, 0),
    values.length,
  );
  // Most negative first, then up through [-1], [0], [1] to the largest.
  const labels = [...counts.keys()];
  assert.equal(labels[0], '(-16E, -8E]');
  assert.equal(labels.indexOf('[-1]') + 1, labels.indexOf('[0]'));
  assert.equal(labels.at(-1), '[4E, 8E)');
  assert.match(text, /^count 16$/m);
  assert.match(text, new RegExp(`^sum   ${values.reduce((a, b) => a + b, 0n)}$`, 'm'));
  assert.match(text, new RegExp(`^min   ${-(1n << 63n)}$`, 'm'));
  assert.match(text, new RegExp(`^max   ${max}$`, 'm'));
});

test('unsigned 64-bit values up to 2^64-1, and bars proportional to the largest bucket', () => {
  const format = formatOf('u', ['u64 value:8']);
  const hist = histogram('value', formatsOf(format));
  const values = [...Array<bigint>(4).fill(5n), 6n, (1n << 64n) - 1n];
  hist.add(batchOf({ u: eventColumns(rowsOf(values.length), { value: BigUint64Array.from(values) }) }));
  const text = hist.render();
  assert.equal(histogramCounts(text).get('[8E, 16E)'), 1);
  assert.match(text, /^\[4, 8\)\s+5 \|@{52}\|$/m, 'the largest bucket gets the full bar');
  assert.match(text, /^\[8E, 16E\)\s+1 \|@{10} {42}\|$/m, 'a fifth of it: 52 / 5, rounded down');
  assert.match(text, new RegExp(`^max   ${(1n << 64n) - 1n}$`, 'm'));
  assert.match(text, /^avg {3}3074457345618258606\.83$/m, 'the exact average of 2^64 - 1 + 26 over 6');
});

test('small integer columns, only the buckets between the lowest and highest non-empty', () => {
  const hist = histogram('signed_small', formatsOf(CALL));
  hist.add(batchOf({ call: eventColumns(rowsOf(4), { signed_small: Int32Array.from([100, 200, -2147483648, 70]) }) }));
  const counts = histogramCounts(hist.render());
  assert.equal(counts.get('(-4G, -2G]'), 1);
  assert.equal(counts.get('[64, 128)'), 2);
  assert.equal(counts.get('[128, 256)'), 1);
  assert.equal(counts.has('[256, 512)'), false, 'nothing above the highest');
  const unsigned = histogram('small', formatsOf(CALL));
  unsigned.add(batchOf({ call: eventColumns(rowsOf(2), { small: Uint32Array.from([300, 4294967295]) }) }));
  assert.deepEqual([...histogramCounts(unsigned.render()).keys()].slice(0, 1), ['[256, 512)'], 'starts at the lowest');
});

test('reset() forgets; columns reused after add() do not change the table', () => {
  const hist = histogram('value', formatsOf(CALL));
  const values = BigInt64Array.from([3n, 3n]);
  hist.add(batchOf({ call: eventColumns(rowsOf(2), { value: values }) }));
  values.fill(1000n); // the decoder reuses column memory for the next batch
  assert.equal(histogramCounts(hist.render()).get('[2, 4)'), 2);
  hist.reset();
  assert.equal(hist.render(), 'value\ncount 0\n');
});

test('errors name the field and what is valid', () => {
  const formats = formatsOf(CALL, formatOf('other', ['s64 value:8', 'u64 other_only:8']));
  assert.throws(
    () => histogram('valeu', formats),
    (error: unknown) => {
      assert.ok(error instanceof AggregationError);
      assert.equal(error.code, 'BAD_AGGREGATION');
      assert.match(error.message, /no traced event has a field 'valeu'/);
      assert.match(error.message, /did you mean 'value'\?/);
      return true;
    },
  );
  assert.throws(
    () => histogram('label', formatsOf(CALL)),
    /field 'label' of call is a string \(__data_loc char\[\]\), not an integer/,
  );
  assert.throws(
    () => histogram('other_only', formats),
    /not in every traced event \(not in call\)[^]*hint: trace only events that have it: other/,
  );
});

test('a uprobe s64 argument with known values: every bucket count exact', { skip: noUprobes }, async () => {
  const N = 10_000;
  const hist = await aggregateCalls(
    N,
    (binary) => ({ call: uprobe(binary, 'pb_target').arg('value', reg('si').as('s64')) }),
    (formats) => histogram('value', formats),
  );

  // Expected: each value's bucket named by its bound nearest zero (0, 1, 2, 4, …; -1, -2, -4, …).
  const expected = new Map<bigint, number>();
  let sum = 0n;
  for (let i = 0; i < N; i++) {
    const value = callValue(i);
    sum += value;
    const magnitude = value < 0n ? -value : value;
    const bound = magnitude === 0n ? 0n : 1n << BigInt(magnitude.toString(2).length - 1);
    const key = value < 0n ? -bound : bound;
    expected.set(key, (expected.get(key) ?? 0) + 1);
  }
  const text = hist.render();
  const seen = new Map<bigint, number>();
  for (const [label, count] of histogramCounts(text)) if (count > 0) seen.set(boundNearestZero(label), count);
  assert.deepEqual(sorted(seen), sorted(expected), text);
  assert.match(text, new RegExp(`^count ${N}$`, 'm'));
  assert.match(text, new RegExp(`^sum   ${sum}$`, 'm'));
  assert.match(text, /^min {3}-9999$/m);
  assert.match(text, /^max {3}29994$/m);
});

/** `[4K, 8K)` → 4096, `(-8, -4]` → -4, `[0]` → 0: the bucket's bound nearest zero. */
function boundNearestZero(label: string): bigint {
  const numbers = [...label.matchAll(/(-?\d+)([KMGTPE]?)/g)].map(
    ([, digits, suffix]) => BigInt(digits!) * (suffix ? 1024n ** BigInt('KMGTPE'.indexOf(suffix) + 1) : 1n),
  );
  return label.startsWith('(') ? numbers[1]! : numbers[0]!;
}

function sorted(map: Map<bigint, number>): [bigint, number][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : 1));
}
