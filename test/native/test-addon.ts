/**
 * The tests' own addon, binding.gyp's `perf_bridge_test`: the ring reader over rings built in JS
 * memory, and the C++ side of the native protocol. The production addon (src/native.ts) has neither.
 */
import { loadAddon } from '../../src/native.js';
import type { RING_COUNT } from '../../src/native-protocol.js';

/**
 * The environment variable naming a compiled test addon to load instead of build/Release's: how
 * `npm run test:sanitize` runs the tests against its instrumented build.
 */
export const TEST_ADDON_PATH_VARIABLE = 'PERF_BRIDGE_TEST_ADDON';

/** native/protocol.h as the addon compiled it: its constants, and its slot functions evaluated in C++. */
export interface NativeProtocol {
  RING_COUNT: Record<keyof typeof RING_COUNT, number>;
  COUNTS_PER_RING: number;
  drainCountsLength(ringCount: number): number;
  ringCountSlot(ring: number, which: string): number;
  bufferFilledSlot(ringCount: number): number;
  sideBandBytesSlot(ringCount: number): number;
  sampleIdSlot(ring: number, target: number, eventIndex: number, targetCount: number, eventCount: number): number;
}

/** The exports of `perf_bridge_test`. */
export interface TestAddon {
  /**
   * Runs the ring reader over `ring` (one metadata page, then `dataSize` bytes of data, a power of
   * two) as Capture.drain runs it over a kernel ring; `counts` gets this pass's totals laid out as
   * the drain counts of a one-ring capture. Returns the bytes copied into `out`.
   */
  drainSyntheticRing(ring: ArrayBuffer, dataSize: number, out: ArrayBuffer, counts: Float64Array): number;
  /** native/protocol.h, for test/native/protocol.test.ts to compare with src/native-protocol.ts. */
  protocol: NativeProtocol;
}

let addon: TestAddon | undefined;

/** Loads the test addon once: the one {@link TEST_ADDON_PATH_VARIABLE} names, else node-gyp's build. */
export function testAddon(): TestAddon {
  addon ??= loadAddon('perf_bridge_test', TEST_ADDON_PATH_VARIABLE) as TestAddon;
  return addon;
}
