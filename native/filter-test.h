// Asking the running kernel whether it accepts a filter expression, for detecting what its filter
// language supports (tracefs has no read-only description of it).
#pragma once

#include <napi.h>

namespace perfbridge {

// testFilter(tracepointId: bigint, filter: string) -> 0 when the kernel accepts `filter` on that
// tracepoint, else the errno of PERF_EVENT_IOC_SET_FILTER (or of perf_event_open, when the probe
// event cannot be opened at all). Opens one disabled event on this process, closed before return.
Napi::Value TestFilter(const Napi::CallbackInfo& info);

}  // namespace perfbridge
