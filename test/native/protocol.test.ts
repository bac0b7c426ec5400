/**
 * The native protocol is declared twice, in native/protocol.h and src/native-protocol.ts: the two
 * must agree, constant for constant and slot for slot, and lay the drain counts out without overlap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  COUNTS_PER_RING,
  RING_COUNT,
  bufferFilledSlot,
  drainCountsLength,
  ringCountSlot,
  sampleIdSlot,
  sideBandBytesSlot,
} from '../../src/native-protocol.js';
import { testAddon } from './test-addon.js';

const { protocol } = testAddon();
const ringCountNames = Object.keys(RING_COUNT) as (keyof typeof RING_COUNT)[];
/** Ring counts up to more CPUs than most machines have, event counts up to a large session. */
const RING_COUNTS = [0, 1, 2, 3, 7, 64, 1024];
const EVENT_COUNTS = [1, 2, 5, 100];
/** Targets: every process (one), a few threads, many threads. */
const TARGET_COUNTS = [1, 3, 40];

test('the constants are the same in C++ and TypeScript', () => {
  assert.deepEqual(protocol.RING_COUNT, RING_COUNT);
  assert.equal(protocol.COUNTS_PER_RING, COUNTS_PER_RING);
  assert.equal(ringCountNames.length, COUNTS_PER_RING, 'one slot per ring count');
});

test('the drain count slots are the same in C++ and TypeScript', () => {
  for (const ringCount of RING_COUNTS) {
    assert.equal(protocol.drainCountsLength(ringCount), drainCountsLength(ringCount), `${ringCount} rings`);
    assert.equal(protocol.bufferFilledSlot(ringCount), bufferFilledSlot(ringCount), `${ringCount} rings`);
    assert.equal(protocol.sideBandBytesSlot(ringCount), sideBandBytesSlot(ringCount), `${ringCount} rings`);
    for (let ring = 0; ring < Math.min(ringCount, 8); ring++) {
      for (const which of ringCountNames) {
        assert.equal(protocol.ringCountSlot(ring, which), ringCountSlot(ring, which), `ring ${ring} ${which}`);
      }
    }
  }
});

test('the sample id slots are the same in C++ and TypeScript', () => {
  for (const ringCount of RING_COUNTS) {
    for (const eventCount of EVENT_COUNTS) {
      for (const targetCount of TARGET_COUNTS) {
        for (let ring = 0; ring < Math.min(ringCount, 8); ring++) {
          for (let target = 0; target < Math.min(targetCount, 4); target++) {
            for (let eventIndex = 0; eventIndex < eventCount; eventIndex++) {
              assert.equal(
                protocol.sampleIdSlot(ring, target, eventIndex, targetCount, eventCount),
                sampleIdSlot(ring, target, eventIndex, targetCount, eventCount),
                `ring ${ring}, target ${target} of ${targetCount}, event ${eventIndex} of ${eventCount}`,
              );
            }
          }
        }
      }
    }
  }
});

test('every drain count and every sample id has a slot of its own, and the slots fill the array', () => {
  for (const ringCount of RING_COUNTS.filter((count) => count <= 64)) {
    const counts = Array.from({ length: ringCount }, (_, ring) => ringCountNames.map((w) => ringCountSlot(ring, w)));
    const slots = [...counts.flat(), bufferFilledSlot(ringCount), sideBandBytesSlot(ringCount)].sort((a, b) => a - b);
    assert.deepEqual(slots, [...Array(drainCountsLength(ringCount)).keys()], `${ringCount} rings`);
    for (const eventCount of EVENT_COUNTS) {
      for (const targets of TARGET_COUNTS) {
        const ids = Array.from({ length: ringCount }, (_, ring) =>
          Array.from({ length: targets }, (_, target) =>
            Array.from({ length: eventCount }, (_, e) => sampleIdSlot(ring, target, e, targets, eventCount)),
          ),
        ).flat(2);
        const all = [...Array(ringCount * targets * eventCount).keys()];
        assert.deepEqual(ids, all, `${ringCount} rings, ${targets} targets, ${eventCount} events`);
      }
    }
  }
});

test('the C++ side refuses a ring count name it does not know', () => {
  assert.throws(() => protocol.ringCountSlot(0, 'lostEverything'), RangeError);
});
