// Module entry. N-API modules are context-aware, so the addon also loads in worker_threads.
#include <linux/perf_event.h>
#include <napi.h>
#include <unistd.h>

#include <cstddef>

#include "capture.h"
#include "filter-test.h"
#include "lock.h"

namespace perfbridge {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Capture", Capture::Define(env));
  exports.Set("tryLockExclusive", Napi::Function::New(env, TryLockExclusive, "tryLockExclusive"));
  exports.Set("testFilter", Napi::Function::New(env, TestFilter, "testFilter"));
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("pageSize", Napi::Number::New(env, static_cast<double>(sysconf(_SC_PAGESIZE))));
  layout.Set("dataHeadOffset", Napi::Number::New(env, offsetof(perf_event_mmap_page, data_head)));
  layout.Set("dataTailOffset", Napi::Number::New(env, offsetof(perf_event_mmap_page, data_tail)));
  exports.Set("ringLayout", layout);
  return exports;
}

}  // namespace perfbridge

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return perfbridge::Init(env, exports); }

NODE_API_MODULE(perf_bridge, InitModule)
