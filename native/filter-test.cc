#include "filter-test.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "js-values.h"
#include "owned.h"

namespace perfbridge {

Napi::Value TestFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint64_t id = CheckedU64(info[0], "testFilter: tracepointId", 0);
  const std::string filter = CheckedString(info[1], "testFilter: filter").Utf8Value();
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = id;
  attr.disabled = 1;
  attr.sample_period = 1;
  // This process, any CPU: nothing is enabled or mapped, so nothing is ever recorded.
  const OwnedFd fd(static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC)));
  if (!fd.Valid()) return Napi::Number::New(env, errno);
  const int result = ioctl(fd.Get(), PERF_EVENT_IOC_SET_FILTER, filter.c_str());
  return Napi::Number::New(env, result == 0 ? 0 : errno);
}

}  // namespace perfbridge
