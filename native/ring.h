// Reading perf ring buffers: the one piece of memory-ordering-sensitive code in perf-bridge.
#pragma once

#include <linux/perf_event.h>

#include <cstddef>
#include <cstdint>

namespace perfbridge {

// Per-ring counters reported by one drain pass.
struct RingCounts {
  uint64_t lostRecords = 0;    // sum of PERF_RECORD_LOST.lost (kernel dropped: ring was full)
  uint64_t lostSamples = 0;    // sum of PERF_RECORD_LOST_SAMPLES.lost
  uint64_t corruptResets = 0;  // times the ring was reset because a header made no sense
};

// Result of draining one ring into a caller-owned byte buffer.
struct DrainOutcome {
  size_t bytesWritten = 0;
  bool outputFull = false;   // stopped early: a record did not fit in the output buffer
  size_t sideBandBytes = 0;  // bytes of PERF_RECORD_COMM / FORK / EXIT records among those written
};

// Copies every complete PERF_RECORD_SAMPLE, and the COMM, FORK and EXIT side-band records that
// process names are tracked with, between data_tail and data_head into `out`
// (wrapping records are copied whole, in order), accumulates loss records into `counts`,
// and publishes the new tail. Reads at most one ring's worth (`dataSize` bytes) per call,
// so a producer that keeps writing cannot hold the reader in an endless loop.
//
// `meta` is the first mmap page, `data` the ring of `dataSize` bytes (a power of two).
// A header with an impossible size resets the ring to the head and counts one corrupt reset.
DrainOutcome DrainRing(perf_event_mmap_page* meta, const uint8_t* data, uint64_t dataSize, uint8_t* out,
                       size_t outCapacity, RingCounts* counts);

// What waits in a ring, read without consuming anything.
struct RingBacklog {
  uint64_t bytes = 0;  // data_head - data_tail (more than the ring's size only when corrupt)
  // The time field at `timeOffset` of the oldest record when that is a PERF_RECORD_SAMPLE; 0 when the
  // ring is empty or its oldest record is of another type (a loss record: worth draining now).
  uint64_t oldestSampleTime = 0;
};

// Reads how much waits in the ring and when its oldest sample was taken. `timeOffset` is the
// time field's offset in the sample records (see kSampleTimeOffset).
RingBacklog PeekRing(const perf_event_mmap_page* meta, const uint8_t* data, uint64_t dataSize, uint64_t timeOffset);

}  // namespace perfbridge
