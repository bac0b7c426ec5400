// The layout of the arrays the addon shares with TypeScript, declared once for C++ here and once for
// TypeScript in src/native-protocol.ts; test/native/protocol.test.ts checks that the two agree.
//
// Drain counts (a Float64Array of DrainCountsLength(ringCount) doubles), ring-major:
//   [ring 0: lostRecords, lostSamples, corruptResets, sideBandLost, fill][ring 1: ...]...[bufferFilled][sideBandBytes]
// The first four of a ring are running totals; `fill` is a reading: the fraction (0..1) of the
// ring's data area holding records when the drain call began.
// Sample ids (the BigUint64Array of Capture.ids()), ring-major, then target-major: every event of
// target 0 on ring 0, every event of target 1 on ring 0, ..., then ring 1.
#pragma once

#include <cstddef>

#include "ring.h"

namespace perfbridge {
namespace protocol {

// Offsets of a ring's counts inside its group of kCountsPerRing drain counts.
enum RingCount : size_t { kLostRecords = 0, kLostSamples = 1, kCorruptResets = 2, kSideBandLost = 3, kFill = 4 };

// Drain counts per ring: one slot for each RingCount.
constexpr size_t kCountsPerRing = 5;

// Length of the drain counts array for a capture of `ringCount` rings.
constexpr size_t DrainCountsLength(size_t ringCount) { return kCountsPerRing * ringCount + 2; }

// Index in the drain counts of one running total of ring `ring`.
constexpr size_t RingCountSlot(size_t ring, RingCount which) { return kCountsPerRing * ring + which; }

// Index in the drain counts of the flag that is 1 when a drain stopped because its output buffer
// filled before the rings were empty (so the next drain returns more), else 0.
constexpr size_t BufferFilledSlot(size_t ringCount) { return kCountsPerRing * ringCount; }

// Index in the drain counts of the bytes of side-band records (COMM, FORK, EXIT) the last drain
// wrote to its side-band buffer.
constexpr size_t SideBandBytesSlot(size_t ringCount) { return kCountsPerRing * ringCount + 1; }

// Index in Capture.ids() of the sample id of event `eventIndex` (of `eventCount`) opened for target
// `target` (of `targetCount`) on ring `ring`.
constexpr size_t SampleIdSlot(size_t ring, size_t target, size_t eventIndex, size_t targetCount, size_t eventCount) {
  return (ring * targetCount + target) * eventCount + eventIndex;
}

// Writes ring `ring`'s running totals into its slots of `counts`, which holds at least
// DrainCountsLength(ring + 1) doubles: the sample ring's, and what its side-band ring lost.
inline void StoreRingCounts(const RingCounts& samples, const RingCounts& sideBand, size_t ring, double* counts) {
  counts[RingCountSlot(ring, kLostRecords)] = static_cast<double>(samples.lostRecords);
  counts[RingCountSlot(ring, kLostSamples)] = static_cast<double>(samples.lostSamples);
  counts[RingCountSlot(ring, kCorruptResets)] = static_cast<double>(samples.corruptResets + sideBand.corruptResets);
  counts[RingCountSlot(ring, kSideBandLost)] = static_cast<double>(sideBand.lostRecords + sideBand.lostSamples);
}

}  // namespace protocol
}  // namespace perfbridge
