#include "capture.h"

#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errors.h"

namespace perfbridge {
namespace {

// PERF_FORMAT_LOST (Linux 6.0): read() also returns the samples this event could not write.
constexpr uint64_t PERF_FORMAT_LOST_BIT = 1U << 4;

constexpr uint64_t kSampleType = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                                 PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;

int PerfEventOpen(perf_event_attr* attr, int pid, int cpu) {
  return static_cast<int>(
      syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

uint64_t ToU64(const Napi::Value& value) {
  if (value.IsBigInt()) {
    bool lossless;
    return value.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  if (value.IsNumber()) return static_cast<uint64_t>(value.As<Napi::Number>().Int64Value());
  return 0;
}

uint32_t GetU32(const Napi::Object& object, const char* key, uint32_t fallback) {
  Napi::Value value = object.Get(key);
  return value.IsNumber() ? value.As<Napi::Number>().Uint32Value() : fallback;
}

}  // namespace

Napi::Function Capture::Define(Napi::Env env) {
  return DefineClass(env, "Capture",
                     {
                         InstanceMethod<&Capture::Ids>("ids"),
                         InstanceMethod<&Capture::Enable>("enable"),
                         InstanceMethod<&Capture::Disable>("disable"),
                         InstanceMethod<&Capture::Drain>("drain"),
                         InstanceMethod<&Capture::Close>("close"),
                         InstanceMethod<&Capture::ReadLost>("readLost"),
                         InstanceAccessor<&Capture::RingCount>("ringCount"),
                     });
}

// new Capture({ events: [{type, config, config1?, config2?, config1String?}], cpus: number[],
//               pid: number, inherit: boolean, enableOnExec: boolean, ringPages: number,
//               wakeupEvents?: number, wakeupBytes?: number }, onReadable: (hangup: boolean) => void)
Capture::Capture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Capture>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "Capture(options, onReadable) expects an object and a function");
  }
  onReadable_ = Napi::Persistent(info[1].As<Napi::Function>());
  asyncResource_ = Napi::Persistent(Napi::Object::New(env));
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  try {
    OpenAll(env, info[0].As<Napi::Object>());
  } catch (...) {
    CloseAll();
    throw;
  }
}

Capture::~Capture() { CloseAll(); }

void Capture::CleanupHook(void* self) { static_cast<Capture*>(self)->CloseAll(); }

void Capture::OpenAll(Napi::Env env, const Napi::Object& options) {
  Napi::Array events = options.Get("events").As<Napi::Array>();
  Napi::Array cpus = options.Get("cpus").As<Napi::Array>();
  const int pid = options.Get("pid").IsNumber() ? options.Get("pid").As<Napi::Number>().Int32Value() : -1;
  const bool inherit = options.Get("inherit").ToBoolean();
  const uint32_t ringPages = GetU32(options, "ringPages", 0);
  const uint32_t wakeupEvents = GetU32(options, "wakeupEvents", 0);
  const uint32_t wakeupBytes = GetU32(options, "wakeupBytes", 0);
  enableOnExec_ = options.Get("enableOnExec").ToBoolean();
  if (events.Length() == 0 || cpus.Length() == 0 || ringPages == 0 ||
      (ringPages & (ringPages - 1)) != 0) {
    throw Napi::TypeError::New(env, "Capture: events, cpus and a power-of-two ringPages are required");
  }
  const long pageSize = sysconf(_SC_PAGESIZE);
  pageSize_ = static_cast<size_t>(pageSize);
  dataBytes_ = static_cast<uint64_t>(ringPages) * pageSize;

  // The strings that config1 may point to (perf_kprobe / perf_uprobe PMUs) must outlive the call.
  std::vector<std::string> config1Strings(events.Length());
  std::vector<perf_event_attr> attrs(events.Length());
  for (uint32_t e = 0; e < events.Length(); e++) {
    Napi::Object spec = events.Get(e).As<Napi::Object>();
    perf_event_attr& attr = attrs[e];
    attr = perf_event_attr{};
    attr.size = sizeof attr;
    attr.type = GetU32(spec, "type", PERF_TYPE_TRACEPOINT);
    attr.config = ToU64(spec.Get("config"));
    if (spec.Get("config1String").IsString()) {
      config1Strings[e] = spec.Get("config1String").As<Napi::String>().Utf8Value();
      attr.config1 = reinterpret_cast<uint64_t>(config1Strings[e].c_str());
    } else {
      attr.config1 = ToU64(spec.Get("config1"));
    }
    attr.config2 = ToU64(spec.Get("config2"));
    attr.sample_period = 1;
    attr.sample_type = kSampleType;
    attr.disabled = 1;
    attr.inherit = inherit ? 1 : 0;
    attr.enable_on_exec = enableOnExec_ ? 1 : 0;
    attr.read_format = PERF_FORMAT_LOST_BIT;
    attr.use_clockid = 1;
    attr.clockid = CLOCK_MONOTONIC;
    if (wakeupBytes > 0) {
      attr.watermark = 1;
      attr.wakeup_watermark = wakeupBytes;
    } else {
      attr.wakeup_events = wakeupEvents > 0 ? wakeupEvents : 1;
    }
  }

  eventsPerRing_ = events.Length();
  lostCounters_ = true;
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epollFd_ < 0) throw ErrnoError(env, errno, "epoll_create1", "");

  for (uint32_t c = 0; c < cpus.Length(); c++) {
    const int cpu = cpus.Get(c).As<Napi::Number>().Int32Value();
    Ring ring;
    for (uint32_t e = 0; e < events.Length(); e++) {
      int fd = PerfEventOpen(&attrs[e], pid, cpu);
      if (fd < 0 && errno == EINVAL && lostCounters_ && fds_.empty()) {
        // Kernels before 6.0 reject the unknown read_format bit: fall back to PERF_RECORD_LOST only.
        for (perf_event_attr& a : attrs) a.read_format = 0;
        lostCounters_ = false;
        fd = PerfEventOpen(&attrs[e], pid, cpu);
      }
      if (fd < 0) {
        int err = errno;
        Napi::Error error = ErrnoError(env, err, "perf_event_open",
                                       "event " + std::to_string(e) + " on cpu " + std::to_string(cpu));
        error.Set("eventIndex", Napi::Number::New(env, e));
        error.Set("cpu", Napi::Number::New(env, cpu));
        if (ring.base != nullptr) rings_.push_back(ring);  // so CloseAll unmaps it
        throw error;
      }
      fds_.push_back(fd);
      uint64_t id = 0;
      if (ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) {
        int err = errno;
        if (ring.base != nullptr) rings_.push_back(ring);
        throw ErrnoError(env, err, "ioctl", "PERF_EVENT_IOC_ID");
      }
      ids_.push_back(id);
      if (e == 0) {
        ring.leaderFd = fd;
        ring.mappedBytes = static_cast<size_t>(dataBytes_ + pageSize);
        void* base = mmap(nullptr, ring.mappedBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED) {
          throw ErrnoError(env, errno, "mmap",
                           std::to_string(ringPages) + " pages on cpu " + std::to_string(cpu));
        }
        ring.base = base;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<uint32_t>(rings_.size());
        if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
          int err = errno;
          rings_.push_back(ring);
          throw ErrnoError(env, err, "epoll_ctl", "");
        }
      } else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, ring.leaderFd) != 0) {
        int err = errno;
        rings_.push_back(ring);
        throw ErrnoError(env, err, "ioctl", "PERF_EVENT_IOC_SET_OUTPUT on cpu " + std::to_string(cpu));
      }
    }
    rings_.push_back(ring);
  }
}

Napi::Value Capture::Ids(const Napi::CallbackInfo& info) {
  Napi::BigUint64Array out = Napi::BigUint64Array::New(info.Env(), ids_.size());
  for (size_t i = 0; i < ids_.size(); i++) out[i] = ids_[i];
  return out;
}

// readLost() -> Float64Array(ringCount) of samples the kernel dropped per ring, summed over the
// ring's events, or null when the kernel has no PERF_FORMAT_LOST. Unlike PERF_RECORD_LOST, which
// the kernel writes only when a later record fits, this count is current even after the
// traced task exited.
Napi::Value Capture::ReadLost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_ || !lostCounters_) return env.Null();
  Napi::Float64Array out = Napi::Float64Array::New(env, rings_.size());
  for (size_t i = 0; i < fds_.size(); i++) {
    uint64_t values[2] = {0, 0};  // {value, lost}
    if (read(fds_[i], values, sizeof values) == static_cast<ssize_t>(sizeof values)) {
      out[i / eventsPerRing_] += static_cast<double>(values[1]);
    }
  }
  return out;
}

Napi::Value Capture::RingCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(rings_.size()));
}

Napi::Value Capture::Enable(const Napi::CallbackInfo& info) {
  if (closed_) throw Napi::Error::New(info.Env(), "Capture is closed");
  // With enable_on_exec the kernel enables the events when the target execs; enabling them now
  // would also capture what the target does before that.
  for (int fd : enableOnExec_ ? std::vector<int>() : fds_) {
    if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
      throw ErrnoError(info.Env(), errno, "ioctl", "PERF_EVENT_IOC_ENABLE");
    }
  }
  StartPolling();
  return info.Env().Undefined();
}

Napi::Value Capture::Disable(const Napi::CallbackInfo& info) {
  if (closed_) return info.Env().Undefined();
  for (int fd : fds_) ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
  StopPolling();
  return info.Env().Undefined();
}

void Capture::StartPolling() {
  if (polling_) return;
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env_, &loop);
    poll_ = new uv_poll_t;
    poll_->data = this;
    uv_poll_init(loop, poll_, epollFd_);
  }
  uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* handle, int status, int events) {
    static_cast<Capture*>(handle->data)->OnReadable(status, events);
  });
  polling_ = true;
}

void Capture::StopPolling() {
  if (!polling_) return;
  uv_poll_stop(poll_);
  polling_ = false;
}

void Capture::OnReadable(int status, int events) {
  // Consuming the epoll events resets each perf fd's wakeup state, so the poll goes quiet until
  // the kernel wakes us again. One call is enough: the JS side drains every ring regardless, and
  // looping could never end once enough fds report a permanent hangup.
  epoll_event ready[64];
  bool hangup = false;
  int n = epoll_wait(epollFd_, ready, 64, 0);
  for (int i = 0; i < n; i++) {
    if (ready[i].events & (EPOLLHUP | EPOLLERR)) hangup = true;
  }
  // A hung-up fd (its task exited) stays readable forever: stop watching; the session's flush
  // timer keeps draining what is left.
  if (hangup) StopPolling();
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  try {
    onReadable_.MakeCallback(asyncResource_.Value(), {Napi::Boolean::New(env, hangup)});
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env_, error.Value());
  }
}

// drain(out: ArrayBuffer, counts: Float64Array(3 * ringCount + 1)) -> bytes written.
// counts[3r..3r+2] receive the running lost-records, lost-samples and corrupt-reset totals of
// ring r; counts[3 * ringCount] is 1 when `out` filled up before every ring was emptied.
Napi::Value Capture::Drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, 0);
  Napi::ArrayBuffer out = info[0].As<Napi::ArrayBuffer>();
  Napi::Float64Array counts = info[1].As<Napi::Float64Array>();
  if (counts.ElementLength() < rings_.size() * 3 + 1) {
    throw Napi::RangeError::New(env, "drain: counts array is too short");
  }
  uint8_t* dst = static_cast<uint8_t*>(out.Data());
  size_t capacity = out.ByteLength();
  size_t written = 0;
  bool full = false;
  const size_t ringCount = rings_.size();
  for (size_t k = 0; k < ringCount && !full; k++) {
    size_t r = (nextRing_ + k) % ringCount;
    Ring& ring = rings_[r];
    auto* meta = static_cast<perf_event_mmap_page*>(ring.base);
    const uint8_t* data = static_cast<const uint8_t*>(ring.base) + pageSize_;
    DrainOutcome outcome = DrainRing(meta, data, dataBytes_, dst + written, capacity - written, &ring.counts);
    written += outcome.bytesWritten;
    full = outcome.outputFull;
    if (full) nextRing_ = r;  // resume with the ring that did not fit
  }
  if (!full) nextRing_ = (nextRing_ + 1) % (ringCount == 0 ? 1 : ringCount);
  for (size_t r = 0; r < ringCount; r++) {
    counts[3 * r] = static_cast<double>(rings_[r].counts.lostRecords);
    counts[3 * r + 1] = static_cast<double>(rings_[r].counts.lostSamples);
    counts[3 * r + 2] = static_cast<double>(rings_[r].counts.corruptResets);
  }
  counts[3 * ringCount] = full ? 1 : 0;
  return Napi::Number::New(env, static_cast<double>(written));
}

Napi::Value Capture::Close(const Napi::CallbackInfo& info) {
  CloseAll();
  return info.Env().Undefined();
}

void Capture::CloseAll() {
  if (closed_) return;
  closed_ = true;
  napi_remove_env_cleanup_hook(env_, CleanupHook, this);
  for (int fd : fds_) ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
  if (poll_ != nullptr) {
    polling_ = false;
    // uv_close stops the watcher while the fd is still open; the fd is closed right after.
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }
  for (Ring& ring : rings_) {
    if (ring.base != nullptr) munmap(ring.base, ring.mappedBytes);
    ring.base = nullptr;
  }
  for (int fd : fds_) close(fd);
  fds_.clear();
  if (epollFd_ >= 0) close(epollFd_);
  epollFd_ = -1;
  onReadable_.Reset();
  asyncResource_.Reset();
}

Napi::Value DrainSyntheticRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::ArrayBuffer ring = info[0].As<Napi::ArrayBuffer>();
  uint64_t dataSize = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
  Napi::ArrayBuffer out = info[2].As<Napi::ArrayBuffer>();
  Napi::Float64Array counts = info[3].As<Napi::Float64Array>();
  const size_t metaBytes = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (dataSize == 0 || (dataSize & (dataSize - 1)) != 0 || ring.ByteLength() < metaBytes + dataSize ||
      counts.ElementLength() < 4) {
    throw Napi::RangeError::New(env, "drainSyntheticRing: ring must be one page plus a power-of-two data area");
  }
  auto* meta = static_cast<perf_event_mmap_page*>(ring.Data());
  const uint8_t* data = static_cast<const uint8_t*>(ring.Data()) + metaBytes;
  RingCounts ringCounts;
  DrainOutcome outcome = DrainRing(meta, data, dataSize, static_cast<uint8_t*>(out.Data()),
                                   out.ByteLength(), &ringCounts);
  counts[0] = static_cast<double>(ringCounts.lostRecords);
  counts[1] = static_cast<double>(ringCounts.lostSamples);
  counts[2] = static_cast<double>(ringCounts.corruptResets);
  counts[3] = outcome.outputFull ? 1 : 0;
  return Napi::Number::New(env, static_cast<double>(outcome.bytesWritten));
}

}  // namespace perfbridge
