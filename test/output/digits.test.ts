/** The digit writers against BigInt's own decimal text, on edge and random values. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { writeInt32, writeInt64, writeSeconds, writeUint64 } from '../../src/output/digits.js';
import { OutputMemory } from '../../src/output/output-memory.js';
import { halves, integerSamples } from './integers.js';

const out = Buffer.alloc(64);

test('64-bit values: unsigned and signed, exact', () => {
  for (const value of integerSamples()) {
    const [low, high] = halves(value);
    assert.equal(out.toString('latin1', 0, writeUint64(out, 0, low, high)), String(value));
    const signed = BigInt.asIntN(64, value);
    assert.equal(out.toString('latin1', 0, writeInt64(out, 0, low, high)), String(signed));
  }
});

test('32-bit and smaller integers, both signs', () => {
  for (const n of [0, 9, 10, -1, -128, 127, 255, -32768, 65535, -2147483648, 2147483647, 4294967295, 1234567]) {
    assert.equal(out.toString('latin1', 0, writeInt32(out, 0, n)), String(n));
  }
});

test('seconds: microseconds truncated toward zero, right-aligned', () => {
  const cases: [number, string][] = [
    [0, '    0.000000'],
    [999, '    0.000000'],
    [1_234_567_890, '    1.234567'],
    [-1_500, '   -0.000001'],
    [2 ** 53, '9007199.254740'],
  ];
  for (const [ns, text] of cases) assert.equal(out.toString('latin1', 0, writeSeconds(out, 0, ns, 12)), text);
});

test('output memory: a buffer handed back is reused; one still out never is', () => {
  const memory = new OutputMemory();
  const take = (bytes: number) => {
    const { buffer, start } = memory.reserve(bytes);
    buffer.fill(1, start, start + bytes);
    return memory.take(start, start + bytes);
  };
  const kept = take(3 * 1024 * 1024);
  const next = take(3 * 1024 * 1024); // does not fit beside `kept`: a new slab
  assert.notEqual(next.buffer, kept.buffer);
  kept.fill(7);
  memory.recycle(next);
  const third = take(3 * 1024 * 1024); // next's slab, every buffer of which came back
  assert.equal(third.buffer, next.buffer, 'a slab whose buffers all came back is reused');
  const fourth = take(3 * 1024 * 1024); // neither slab is free: kept is out, third is out
  assert.ok(fourth.buffer !== kept.buffer && fourth.buffer !== third.buffer, 'a slab with a buffer out is not reused');
  assert.ok(
    kept.every((byte) => byte === 7),
    'the buffer still out was not written over',
  );
  memory.recycle(fourth);
  memory.recycle(fourth); // a second hand-back is ignored
});
