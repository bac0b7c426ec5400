import assert from 'node:assert/strict';
import { test } from 'node:test';

import { WideField, WideReader } from '../../src/decode/wide-ints.js';

const VALUES = [
  0n,
  1n,
  0xffff_ffffn,
  0x1_0000_0000n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
  0xdead_beef_0bad_f00dn,
];

/** A buffer at byte `offset` of a larger allocation, holding VALUES at 8-byte steps from `start`. */
function filled(offset: number, start: number): { bytes: Buffer; view: DataView } {
  const backing = Buffer.alloc(offset + start + VALUES.length * 8 + 8);
  const bytes = backing.subarray(offset);
  VALUES.forEach((value, i) => bytes.writeBigUInt64LE(value, start + i * 8));
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.length) };
}

test('u64 and s64 read every value exactly, aligned in memory or not', () => {
  for (const offset of [0, 1, 4, 8]) {
    for (const start of [0, 3, 8]) {
      const { bytes, view } = filled(offset, start);
      const reader = new WideReader();
      VALUES.forEach((value, i) => {
        const at = start + i * 8;
        assert.equal(reader.u64(bytes, view, at), value, `u64 ${value} at ${offset}+${at}`);
        assert.equal(reader.s64(bytes, view, at), BigInt.asIntN(64, value), `s64 ${value} at ${offset}+${at}`);
      });
    }
  }
});

test('a reader follows the buffer it is handed', () => {
  const reader = new WideReader();
  const first = filled(0, 0);
  const second = filled(0, 8);
  assert.equal(reader.u64(first.bytes, first.view, 8), VALUES[1]);
  assert.equal(reader.u64(second.bytes, second.view, 8), VALUES[0]);
  assert.equal(reader.u64(first.bytes, first.view, 16), VALUES[2]);
});

test('a field hands out the last value while its bytes stay the same, and a new one when any byte changes', () => {
  const bytes = Buffer.alloc(16);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const unsigned = new WideField(new WideReader(), false);
  const signed = new WideField(new WideReader(), true);
  assert.equal(unsigned.read(bytes, view, 8), 0n, 'zero bytes before anything was read');
  assert.equal(signed.read(bytes, view, 8), 0n);
  const sequence = [5n, 5n, 5n | (1n << 32n), 2n ** 64n - 1n, 2n ** 64n - 1n, (2n ** 64n - 1n) ^ 1n, 0n, 2n ** 63n];
  for (const value of sequence) {
    bytes.writeBigUInt64LE(value, 8);
    assert.equal(unsigned.read(bytes, view, 8), value);
    assert.equal(signed.read(bytes, view, 8), BigInt.asIntN(64, value));
  }
});
