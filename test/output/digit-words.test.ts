/** The word-store digit writers against BigInt's own decimal text, and the room they overwrite. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  LeadingDigits,
  WORD_SLACK,
  storeInt32,
  storeInt64,
  storeUint32,
  storeUint64,
} from '../../src/output/digit-words.js';
import { halves, integerSamples } from './integers.js';

const SENTINEL = 0xee;
const out = Buffer.alloc(64);
const view = new DataView(out.buffer, out.byteOffset, out.length);

/** Runs `store` at offset 1 of a sentinel-filled buffer: its text, and whether it kept to its slack. */
function stored(store: (p: number) => number): string {
  out.fill(SENTINEL);
  const end = store(1);
  assert.equal(out[0], SENTINEL, 'nothing is written before the position');
  for (let k = end + WORD_SLACK; k < out.length; k++) assert.equal(out[k], SENTINEL, `byte ${k - end} past the end`);
  return out.toString('latin1', 1, end);
}

test('64-bit values: unsigned, signed and with cached leading digits, exact and within the slack', () => {
  const leading = new LeadingDigits();
  for (const value of integerSamples()) {
    const [low, high] = halves(value);
    assert.equal(
      stored((p) => storeUint64(out, view, p, low, high)),
      String(value),
    );
    assert.equal(
      stored((p) => leading.write(out, view, p, low, high)),
      String(value),
    );
    assert.equal(
      stored((p) => storeInt64(out, view, p, low, high)),
      String(BigInt.asIntN(64, value)),
    );
  }
});

test('times: consecutive values across a 10^8 boundary keep their leading digits right', () => {
  const leading = new LeadingDigits();
  const start = 28_539_968_528_431n;
  for (const step of [1n, 400n, 99_999_999n, 100_000_000n, -3n, -100_000_001n]) {
    for (let k = 0n, value = start; k < 50n; k++, value += step) {
      const [low, high] = halves(value);
      assert.equal(
        stored((p) => leading.write(out, view, p, low, high)),
        String(value),
      );
    }
  }
});

test('32-bit and smaller integers, both signs, at every digit count', () => {
  const values = [0, 9, 10, -1, -128, 127, 255, -32768, 65535, -2147483648, 2147483647, 4294967295, 1234567];
  for (let n = 1; n <= 4294967295; n = n * 10 + 7) values.push(n, n - 1, -Math.min(n, 2147483648));
  for (const n of values) {
    assert.equal(
      stored((p) => storeInt32(view, p, n)),
      String(n),
    );
    if (n >= 0)
      assert.equal(
        stored((p) => storeUint32(view, p, n)),
        String(n),
      );
  }
});
