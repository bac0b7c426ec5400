#include "ring.h"

#include <cstring>

namespace perfbridge {
namespace {

// Copies `len` bytes starting at ring position `pos`, splitting at the end of the ring.
void CopyFromRing(const uint8_t* data, uint64_t mask, uint64_t pos, void* dst, size_t len) {
  uint64_t start = pos & mask;
  uint64_t first = mask + 1 - start;
  if (first >= len) {
    std::memcpy(dst, data + start, len);
  } else {
    std::memcpy(dst, data + start, first);
    std::memcpy(static_cast<uint8_t*>(dst) + first, data, len - first);
  }
}

constexpr uint32_t kLostRecord = PERF_RECORD_LOST;
constexpr uint32_t kLostSamplesRecord = 13;  // PERF_RECORD_LOST_SAMPLES; older headers lack it

bool IsSideBand(uint32_t type) {
  return type == PERF_RECORD_COMM || type == PERF_RECORD_FORK || type == PERF_RECORD_EXIT || type == PERF_RECORD_MMAP2;
}

}  // namespace

DrainOutcome DrainRing(perf_event_mmap_page* meta, const uint8_t* data, uint64_t dataSize, uint8_t* out,
                       size_t outCapacity, RingCounts* counts) {
  DrainOutcome outcome;
  // Acquire pairs with the kernel's release of data_head: record bytes before head are visible.
  uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;  // only this reader writes it
  const uint64_t mask = dataSize - 1;

  if (head - tail > dataSize) {
    // The writer cannot legally be more than one ring ahead; the metadata is not trustworthy.
    counts->corruptResets++;
    __atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
    return outcome;
  }

  const uint64_t limit = head;  // at most dataSize bytes beyond tail, checked above
  while (limit - tail >= sizeof(perf_event_header)) {
    perf_event_header header;
    CopyFromRing(data, mask, tail, &header, sizeof header);
    if (header.size < sizeof header || (header.size & 7) != 0 || header.size > limit - tail) {
      counts->corruptResets++;
      tail = limit;
      break;
    }
    if (header.type == PERF_RECORD_SAMPLE || IsSideBand(header.type)) {
      if (header.size > outCapacity - outcome.bytesWritten) {
        outcome.outputFull = true;
        break;
      }
      CopyFromRing(data, mask, tail, out + outcome.bytesWritten, header.size);
      outcome.bytesWritten += header.size;
      if (header.type != PERF_RECORD_SAMPLE) outcome.sideBandBytes += header.size;
    } else if (header.type == kLostRecord && header.size >= sizeof header + 16) {
      uint64_t lost;
      CopyFromRing(data, mask, tail + sizeof header + 8, &lost, sizeof lost);  // after the id
      counts->lostRecords += lost;
    } else if (header.type == kLostSamplesRecord && header.size >= sizeof header + 8) {
      uint64_t lost;
      CopyFromRing(data, mask, tail + sizeof header, &lost, sizeof lost);
      counts->lostSamples += lost;
    }
    tail += header.size;
  }
  // Release orders our reads of the records before the kernel may overwrite them.
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
  return outcome;
}

RingBacklog PeekRing(const perf_event_mmap_page* meta, const uint8_t* data, uint64_t dataSize, uint64_t timeOffset) {
  RingBacklog backlog;
  const uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  const uint64_t tail = meta->data_tail;
  backlog.bytes = head - tail;
  if (backlog.bytes < sizeof(perf_event_header) || backlog.bytes > dataSize) return backlog;
  const uint64_t mask = dataSize - 1;
  perf_event_header header;
  CopyFromRing(data, mask, tail, &header, sizeof header);
  if (header.type == PERF_RECORD_SAMPLE && header.size >= timeOffset + 8 && header.size <= backlog.bytes) {
    CopyFromRing(data, mask, tail + timeOffset, &backlog.oldestSampleTime, sizeof backlog.oldestSampleTime);
  }
  return backlog;
}

}  // namespace perfbridge
