/**
 * The layout of the arrays the native addon shares with TypeScript, named once here and once in
 * `native/protocol.h`; `test/native/protocol.test.ts` checks that the two agree (the addon exports
 * its constants as `protocol`).
 *
 * Drain counts (`Float64Array` of {@link drainCountsLength} doubles), ring-major:
 *
 * ```
 * [ring 0: lostRecords, lostSamples, corruptResets, sideBandLost, fill][ring 1: …]…[bufferFilled][sideBandBytes]
 * ```
 *
 * A ring's first four counts are running totals; `fill` is a reading taken as the drain call began.
 *
 * Sample ids (`BigUint64Array` from `Capture.ids()`), ring-major, then target-major: every event
 * opened for target 0 on ring 0, then for target 1 on ring 0, …, then ring 1 — see
 * {@link sampleIdSlot}.
 */

/** Offsets of a ring's counts inside its group of {@link COUNTS_PER_RING} drain counts. */
export const RING_COUNT = {
  /** Sum of `PERF_RECORD_LOST.lost`: records the kernel dropped because the ring was full. */
  lostRecords: 0,
  /** Sum of `PERF_RECORD_LOST_SAMPLES.lost`. */
  lostSamples: 1,
  /** Times the reader reset the ring (or its side-band ring) because a record header made no sense. */
  corruptResets: 2,
  /** Records the side-band ring lost: process names may be stale. */
  sideBandLost: 3,
  /** The fraction (0..1) of the sample ring's data area holding records when the drain call began. */
  fill: 4,
} as const;

/** Drain counts per ring: one slot for each entry of {@link RING_COUNT}. */
export const COUNTS_PER_RING = 5;

/** Length of the drain counts array for a capture of `ringCount` rings. */
export function drainCountsLength(ringCount: number): number {
  return COUNTS_PER_RING * ringCount + 2;
}

/** Index in the drain counts array of one count of ring `ring`. */
export function ringCountSlot(ring: number, which: keyof typeof RING_COUNT): number {
  return COUNTS_PER_RING * ring + RING_COUNT[which];
}

/**
 * Index in the drain counts array of the flag that is 1 when a drain stopped because its output
 * buffer filled before the rings were empty (so calling `drain` again returns more), else 0.
 */
export function bufferFilledSlot(ringCount: number): number {
  return COUNTS_PER_RING * ringCount;
}

/**
 * Index in the drain counts array of the bytes of side-band records (COMM, FORK, EXIT) the last
 * drain wrote to its side-band buffer.
 */
export function sideBandBytesSlot(ringCount: number): number {
  return COUNTS_PER_RING * ringCount + 1;
}

/**
 * Index in `Capture.ids()` of the sample id of event `eventIndex` (of `eventCount`) opened for
 * target `target` (of `targetCount`) on ring `ring`.
 */
export function sampleIdSlot(
  ring: number,
  target: number,
  eventIndex: number,
  targetCount: number,
  eventCount: number,
): number {
  return (ring * targetCount + target) * eventCount + eventIndex;
}
