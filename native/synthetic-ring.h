// The ring reader over rings built in JS memory, for the tests (the perf_bridge_test addon only).
#pragma once

#include <napi.h>

namespace perfbridge {

// drainSyntheticRing(ring: ArrayBuffer, dataSize: number, out: ArrayBuffer, counts: Float64Array)
// -> bytes written. `ring` is laid out as the kernel maps a ring (one metadata page, then a
// power-of-two data area of `dataSize` bytes); `counts` gets the totals of this one pass, laid out
// as the drain counts of a capture with one ring (native/protocol.h). Runs the same DrainRing as
// Capture.drain, so the reader is tested without a kernel.
Napi::Value DrainSyntheticRing(const Napi::CallbackInfo& info);

}  // namespace perfbridge
