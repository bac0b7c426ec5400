#include "synthetic-ring.h"

#include <unistd.h>

#include "js-values.h"
#include "protocol.h"
#include "ring.h"

namespace perfbridge {

Napi::Value DrainSyntheticRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer ring = CheckedArrayBuffer(info[0], "drainSyntheticRing: ring");
  const uint64_t dataSize = static_cast<uint64_t>(CheckedNumber(info[1], "drainSyntheticRing: dataSize").Int64Value());
  Napi::ArrayBuffer out = CheckedArrayBuffer(info[2], "drainSyntheticRing: out");
  Napi::Float64Array counts = CheckedFloat64Array(info[3], "drainSyntheticRing: counts");
  const size_t metaBytes = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (dataSize == 0 || (dataSize & (dataSize - 1)) != 0 || ring.ByteLength() < metaBytes + dataSize) {
    throw Napi::RangeError::New(env, "drainSyntheticRing: ring must be one page plus a power-of-two data area");
  }
  if (counts.ElementLength() < protocol::DrainCountsLength(1)) {
    throw Napi::RangeError::New(env, "drainSyntheticRing: counts array is too short");
  }
  auto* meta = static_cast<perf_event_mmap_page*>(ring.Data());
  const uint8_t* data = static_cast<const uint8_t*>(ring.Data()) + metaBytes;
  RingCounts totals;
  const DrainOutcome outcome =
      DrainRing(meta, data, dataSize, static_cast<uint8_t*>(out.Data()), out.ByteLength(), &totals);
  protocol::StoreRingCounts(totals, RingCounts{}, 0, counts.Data());
  counts[protocol::BufferFilledSlot(1)] = outcome.outputFull ? 1 : 0;
  counts[protocol::SideBandBytesSlot(1)] = static_cast<double>(outcome.sideBandBytes);
  return Napi::Number::New(env, static_cast<double>(outcome.bytesWritten));
}

}  // namespace perfbridge
