#include "capture.h"

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

#include "capture-options.h"
#include "errors.h"
#include "js-values.h"
#include "protocol.h"

namespace perfbridge {
namespace {

int PerfEventOpen(perf_event_attr* attr, int pid, int cpu, bool cgroup) {
  const unsigned long flags = PERF_FLAG_FD_CLOEXEC | (cgroup ? PERF_FLAG_PID_CGROUP : 0);
  return static_cast<int>(syscall(SYS_perf_event_open, attr, pid, cpu, -1, flags));
}

// Throws the errno of a failed call on event `eventIndex`, with the index, CPU and target attached
// so that TypeScript can name the event (and, for a thread that exited meanwhile, retry).
[[noreturn]] void ThrowEventError(Napi::Env env, int err, const char* syscall, const std::string& what,
                                  size_t eventIndex, int cpu, int target) {
  Napi::Error error = ErrnoError(env, err, syscall, what);
  error.Set("eventIndex", Napi::Number::New(env, static_cast<double>(eventIndex)));
  error.Set("cpu", Napi::Number::New(env, cpu));
  error.Set("target", Napi::Number::New(env, target));
  throw error;
}

uint64_t MonotonicNs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000U + static_cast<uint64_t>(now.tv_nsec);
}

// A record due within this much is drained now: libuv's timers count whole milliseconds.
constexpr uint64_t kDueSlackNs = 500000;

// Handles must outlive uv_close until its callback; these free them there.
template <typename Handle>
void CloseHandle(Handle*& handle) {
  if (handle == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* closed) { delete reinterpret_cast<Handle*>(closed); });
  handle = nullptr;
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

// new Capture(options: NativeCaptureOptions, onReadable: (hangup: boolean) => void), as src/native.ts
// declares them.
Capture::Capture(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Capture>(info) {
  Napi::Env env = info.Env();
  env_ = env;
  const Napi::Object options = CheckedObject(info[0], "Capture: options");
  const Napi::Function onReadable = CheckedFunction(info[1], "Capture: onReadable");
  // Should opening throw, the members' destructors close whatever was opened; the cleanup hook is
  // added only once there is a whole capture for it to close.
  OpenAll(env, options);
  onReadable_ = Napi::Persistent(onReadable);
  asyncResource_ = Napi::Persistent(Napi::Object::New(env));
  if (napi_add_env_cleanup_hook(env, CleanupHook, this) != napi_ok) throw Napi::Error::New(env);
}

Capture::~Capture() { CloseAll(); }

void Capture::CleanupHook(void* self) { static_cast<Capture*>(self)->CloseAll(); }

void Capture::OpenAll(Napi::Env env, const Napi::Object& jsOptions) {
  const CaptureOptions options = ReadCaptureOptions(jsOptions);
  // The attributes point into `options` (config1 strings), which outlives every open below.
  std::vector<perf_event_attr> attrs = EventAttributes(options);
  enableOnExec_ = options.enableOnExec;
  drainDeadlineNs_ = options.drainDeadlineNs;
  pageSize_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  lostCounters_ = true;
  epoll_ = OwnedFd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.Valid()) {
    const int err = errno;
    throw ErrnoError(env, err, "epoll_create1", "");
  }
  ids_.assign(options.cpus.size() * options.targets.size() * options.events.size(), 0);
  for (size_t r = 0; r < options.cpus.size(); r++) rings_.push_back(OpenRing(env, options, attrs, r));
}

Capture::Ring Capture::OpenRing(Napi::Env env, const CaptureOptions& options, std::vector<perf_event_attr>& attrs,
                                size_t ringIndex) {
  Ring ring;
  const int cpu = options.cpus[ringIndex];
  const size_t eventCount = options.events.size();
  const size_t targetCount = options.targets.size();
  const uint64_t sampleBytes = static_cast<uint64_t>(options.ringPages) * pageSize_;
  const uint64_t sideBandBytes = static_cast<uint64_t>(options.sideBandPages) * pageSize_;
  for (size_t t = 0; t < targetCount; t++) {
    for (size_t e = 0; e < attrs.size(); e++) {
      OwnedFd fd = OpenEvent(env, options, attrs, e, options.targets[t], cpu);
      if (e == eventCount) {  // the side-band event, after the caller's
        JoinStream(env, ring.sideBand, std::move(fd), sideBandBytes, cpu);
        continue;
      }
      PrepareEvent(env, options, fd.Get(), e, cpu, protocol::SampleIdSlot(ringIndex, t, e, targetCount, eventCount));
      JoinStream(env, ring.samples, std::move(fd), sampleBytes, cpu);
    }
  }
  WatchRing(env, ring, ringIndex);
  return ring;
}

OwnedFd Capture::OpenEvent(Napi::Env env, const CaptureOptions& options, std::vector<perf_event_attr>& attrs,
                           size_t eventIndex, int target, int cpu) {
  const bool firstOpen = rings_.empty() && eventIndex == 0 && target == options.targets.front();
  int fd = PerfEventOpen(&attrs[eventIndex], target, cpu, options.cgroup);
  if (fd < 0 && errno == EINVAL && lostCounters_ && firstOpen) {
    // Kernels before 6.0 reject the unknown read_format bit: fall back to PERF_RECORD_LOST only.
    for (perf_event_attr& attr : attrs) attr.read_format = 0;
    lostCounters_ = false;
    fd = PerfEventOpen(&attrs[eventIndex], target, cpu, options.cgroup);
  }
  if (fd < 0) {
    const int err = errno;
    const std::string what = "event " + std::to_string(eventIndex) + " on cpu " + std::to_string(cpu);
    ThrowEventError(env, err, "perf_event_open", what, eventIndex, cpu, target);
  }
  return OwnedFd(fd);
}

void Capture::PrepareEvent(Napi::Env env, const CaptureOptions& options, int fd, size_t eventIndex, int cpu,
                           size_t idSlot) {
  uint64_t id = 0;
  if (ioctl(fd, PERF_EVENT_IOC_ID, &id) != 0) {
    const int err = errno;
    throw ErrnoError(env, err, "ioctl", "PERF_EVENT_IOC_ID");
  }
  ids_[idSlot] = id;
  const std::string& filter = options.events[eventIndex].filter;
  if (!filter.empty() && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter.c_str()) != 0) {
    const int err = errno;
    ThrowEventError(env, err, "ioctl", "PERF_EVENT_IOC_SET_FILTER", eventIndex, cpu, -1);
  }
}

void Capture::JoinStream(Napi::Env env, Stream& stream, OwnedFd fd, uint64_t dataBytes, int cpu) {
  const int raw = fd.Get();
  stream.fds.push_back(std::move(fd));
  if (stream.fds.size() == 1) {
    MapStream(env, stream, dataBytes, cpu);
  } else if (ioctl(raw, PERF_EVENT_IOC_SET_OUTPUT, stream.fds[0].Get()) != 0) {
    const int err = errno;
    throw ErrnoError(env, err, "ioctl", "PERF_EVENT_IOC_SET_OUTPUT on cpu " + std::to_string(cpu));
  }
}

void Capture::MapStream(Napi::Env env, Stream& stream, uint64_t dataBytes, int cpu) {
  const size_t bytes = pageSize_ + dataBytes;
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, stream.fds[0].Get(), 0);
  if (base == MAP_FAILED) {
    const int err = errno;
    const std::string what = std::to_string(dataBytes / pageSize_) + " pages on cpu " + std::to_string(cpu);
    throw ErrnoError(env, err, "mmap", what);
  }
  stream.mapping = OwnedMapping(base, bytes);
  stream.dataBytes = dataBytes;
}

void Capture::WatchRing(Napi::Env env, const Ring& ring, size_t ringIndex) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u32 = static_cast<uint32_t>(ringIndex);
  if (epoll_ctl(epoll_.Get(), EPOLL_CTL_ADD, ring.samples.fds[0].Get(), &event) != 0) {
    const int err = errno;
    throw ErrnoError(env, err, "epoll_ctl", "");
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
  for (size_t r = 0; r < rings_.size(); r++) {
    for (const OwnedFd& fd : rings_[r].samples.fds) {
      uint64_t values[2] = {0, 0};  // {value, lost}
      if (read(fd.Get(), values, sizeof values) == static_cast<ssize_t>(sizeof values)) {
        out[r] += static_cast<double>(values[1]);
      }
    }
  }
  return out;
}

Napi::Value Capture::RingCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(rings_.size()));
}

Napi::Value Capture::Enable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "Capture is closed");
  // With enable_on_exec the kernel enables the events when the target execs; enabling them now
  // would also capture what the target does before that.
  if (!enableOnExec_) {
    ForEachFd([env](int fd) {
      if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
        const int err = errno;
        throw ErrnoError(env, err, "ioctl", "PERF_EVENT_IOC_ENABLE");
      }
    });
  }
  StartPolling(env);
  if (drainDeadlineNs_ > 0) StartTimer(env, drainDeadlineNs_);
  return env.Undefined();
}

Napi::Value Capture::Disable(const Napi::CallbackInfo& info) {
  if (closed_) return info.Env().Undefined();
  ForEachFd([](int fd) { ioctl(fd, PERF_EVENT_IOC_DISABLE, 0); });
  StopPolling();
  StopTimer();
  return info.Env().Undefined();
}

void Capture::StartPolling(Napi::Env env) {
  if (polling_) return;
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env);
    auto poll = std::make_unique<uv_poll_t>();
    // On failure libuv has not registered the handle yet, so it is simply freed.
    const int result = uv_poll_init(loop, poll.get(), epoll_.Get());
    if (result != 0) throw ErrnoError(env, -result, "uv_poll_init", "epoll fd");
    poll->data = this;
    poll_ = poll.release();
  }
  const int result = uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* handle, int status, int /*events*/) {
    static_cast<Capture*>(handle->data)->OnReadable(status);
  });
  if (result != 0) throw ErrnoError(env, -result, "uv_poll_start", "epoll fd");
  polling_ = true;
}

void Capture::StopPolling() {
  if (!polling_) return;
  uv_poll_stop(poll_);
  polling_ = false;
}

void Capture::StartTimer(Napi::Env env, uint64_t delayNs) {
  if (timer_ == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env);
    auto timer = std::make_unique<uv_timer_t>();
    const int result = uv_timer_init(loop, timer.get());
    if (result != 0) throw ErrnoError(env, -result, "uv_timer_init", "drain deadline");
    timer->data = this;
    timer_ = timer.release();
  }
  // The loop's clock was read before this iteration's callbacks ran: a drain may have taken a while.
  uv_update_time(timer_->loop);
  const uint64_t delayMs = (delayNs + 999999) / 1000000;
  uv_timer_start(
      timer_, [](uv_timer_t* handle) { static_cast<Capture*>(handle->data)->OnTimer(); }, delayMs, 0);
  timing_ = true;
}

void Capture::StopTimer() {
  if (!timing_) return;
  uv_timer_stop(timer_);
  timing_ = false;
}

RingBacklog Capture::Peek(const Stream& stream) const {
  if (stream.fds.empty()) return RingBacklog{};
  const uint8_t* base = static_cast<const uint8_t*>(stream.mapping.Base());
  return PeekRing(reinterpret_cast<const perf_event_mmap_page*>(base), base + pageSize_, stream.dataBytes,
                  kSampleTimeOffset);
}

uint64_t Capture::NextDue() const {
  uint64_t due = UINT64_MAX;
  for (const Ring& ring : rings_) {
    // Name records are drained with the samples; alone, they are drained before their ring can fill.
    if (Peek(ring.sideBand).bytes * 4 >= ring.sideBand.dataBytes && !ring.sideBand.fds.empty()) return 0;
    const RingBacklog samples = Peek(ring.samples);
    if (samples.bytes == 0) continue;
    // Anything but a sample first (a loss record, or a corrupt ring) is reported at once.
    if (samples.oldestSampleTime == 0) return 0;
    due = std::min(due, samples.oldestSampleTime + drainDeadlineNs_);
  }
  return due;
}

void Capture::OnTimer() {
  if (closed_ || !timing_) return;
  const uint64_t due = NextDue();
  const uint64_t now = MonotonicNs();
  // Nothing waiting: look again a deadline from now, so a record arriving meanwhile is not late.
  uint64_t delayNs = drainDeadlineNs_;
  if (due <= now + kDueSlackNs) {
    CallReadable(false);
  } else if (due != UINT64_MAX) {
    delayNs = due - now;
  }
  // The callback may have disabled or closed the capture.
  if (!closed_ && timing_) StartTimer(Napi::Env(env_), delayNs);
}

void Capture::OnReadable(int status) {
  // A failed watch (status < 0: libuv has stopped it) counts as a hangup too, so the caller knows
  // the drain deadline alone drains from now on.
  const bool hangup = ConsumeReadiness() || status < 0;
  // A hung-up fd (its task exited) stays readable forever: stop watching; the drain deadline
  // keeps draining what is left.
  if (hangup) StopPolling();
  CallReadable(hangup);
}

void Capture::CallReadable(bool hangup) {
  Napi::Env env(env_);
  Napi::HandleScope scope(env);
  try {
    onReadable_.MakeCallback(asyncResource_.Value(), {Napi::Boolean::New(env, hangup)});
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env_, error.Value());
  }
}

bool Capture::ConsumeReadiness() {
  // Consuming the epoll events resets each perf fd's wakeup state, so the poll goes quiet until
  // the kernel wakes us again. One call is enough: the JS side drains every ring regardless, and
  // looping could never end once enough fds report a permanent hangup.
  epoll_event ready[64];
  const int count = epoll_wait(epoll_.Get(), ready, 64, 0);
  bool hangup = false;
  for (int i = 0; i < count; i++) {
    if ((ready[i].events & (EPOLLHUP | EPOLLERR)) != 0) hangup = true;
  }
  return hangup;
}

// drain(out: ArrayBuffer, counts: Float64Array, sideBandOut: ArrayBuffer) -> sample bytes written
// to `out`. `counts` is laid out as native/protocol.h describes: every ring's running totals, the
// buffer-filled flag, and the bytes of side-band records written to `sideBandOut`.
Napi::Value Capture::Drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) return Napi::Number::New(env, 0);
  Napi::ArrayBuffer out = CheckedArrayBuffer(info[0], "drain: out");
  Napi::Float64Array counts = CheckedFloat64Array(info[1], "drain: counts");
  Napi::ArrayBuffer sideBandOut = CheckedArrayBuffer(info[2], "drain: sideBandOut");
  const size_t ringCount = rings_.size();
  if (counts.ElementLength() < protocol::DrainCountsLength(ringCount)) {
    throw Napi::RangeError::New(env, "drain: counts array is too short");
  }
  for (size_t r = 0; r < ringCount; r++) {
    counts[protocol::RingCountSlot(r, protocol::kFill)] = RingFill(rings_[r].samples);
  }
  // Samples first, then the side-band: every name record written before a sample that was read
  // is then read too, so each sample can be named at its own time.
  const DrainOutcome samples = DrainSamples(static_cast<uint8_t*>(out.Data()), out.ByteLength());
  const size_t sideBandBytes = DrainSideBand(static_cast<uint8_t*>(sideBandOut.Data()), sideBandOut.ByteLength());
  for (size_t r = 0; r < ringCount; r++) {
    protocol::StoreRingCounts(rings_[r].samples.counts, rings_[r].sideBand.counts, r, counts.Data());
  }
  counts[protocol::BufferFilledSlot(ringCount)] = samples.outputFull ? 1 : 0;
  counts[protocol::SideBandBytesSlot(ringCount)] = static_cast<double>(sideBandBytes);
  return Napi::Number::New(env, static_cast<double>(samples.bytesWritten));
}

double Capture::RingFill(const Stream& stream) const {
  if (stream.fds.empty()) return 0;
  const uint64_t used = Peek(stream).bytes;
  // A corrupt head is reset by the drain that follows; report it as full meanwhile.
  return used >= stream.dataBytes ? 1.0 : static_cast<double>(used) / static_cast<double>(stream.dataBytes);
}

DrainOutcome Capture::DrainStream(Stream& stream, uint8_t* out, size_t capacity) {
  if (stream.fds.empty()) return DrainOutcome{};
  auto* meta = static_cast<perf_event_mmap_page*>(stream.mapping.Base());
  const uint8_t* data = static_cast<const uint8_t*>(stream.mapping.Base()) + pageSize_;
  return DrainRing(meta, data, stream.dataBytes, out, capacity, &stream.counts);
}

DrainOutcome Capture::DrainSamples(uint8_t* out, size_t capacity) {
  DrainOutcome total;
  const size_t ringCount = rings_.size();
  for (size_t k = 0; k < ringCount && !total.outputFull; k++) {
    const size_t r = (nextRing_ + k) % ringCount;
    const DrainOutcome outcome =
        DrainStream(rings_[r].samples, out + total.bytesWritten, capacity - total.bytesWritten);
    total.bytesWritten += outcome.bytesWritten;
    total.outputFull = outcome.outputFull;
    if (outcome.outputFull) nextRing_ = r;  // resume with the ring that did not fit
  }
  if (!total.outputFull) nextRing_ = (nextRing_ + 1) % (ringCount == 0 ? 1 : ringCount);
  return total;
}

size_t Capture::DrainSideBand(uint8_t* out, size_t capacity) {
  // `out` holds every side-band ring's whole data area (the caller sizes it so), so this never
  // stops early: a ring reader takes at most one ring's worth per call.
  size_t written = 0;
  for (Ring& ring : rings_) written += DrainStream(ring.sideBand, out + written, capacity - written).bytesWritten;
  return written;
}

Napi::Value Capture::Close(const Napi::CallbackInfo& info) {
  CloseAll();
  return info.Env().Undefined();
}

void Capture::CloseAll() {
  if (closed_) return;
  closed_ = true;
  napi_remove_env_cleanup_hook(env_, CleanupHook, this);
  ForEachFd([](int fd) { ioctl(fd, PERF_EVENT_IOC_DISABLE, 0); });
  polling_ = false;
  timing_ = false;
  // uv_close stops the watcher while the epoll fd is still open; that fd is closed right after.
  CloseHandle(poll_);
  CloseHandle(timer_);
  // Released now rather than when the JS object is collected; the rings stay, so ringCount does too.
  for (Ring& ring : rings_) {
    for (Stream* stream : {&ring.samples, &ring.sideBand}) {
      stream->mapping.Reset();
      stream->fds.clear();
    }
  }
  epoll_.Reset();
  onReadable_.Reset();
  asyncResource_.Reset();
}

}  // namespace perfbridge
