// A set of perf events sharing one ring buffer per CPU, read in batches from JS.
#pragma once

#include <linux/perf_event.h>
#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <vector>

#include "capture-options.h"
#include "owned.h"
#include "ring.h"

namespace perfbridge {

// JS class `Capture`. Construction opens every event on every requested CPU (disabled),
// mmaps one ring per CPU and redirects the other events of that CPU into it.
// All policy (which events, which CPUs, sizes, naming, decoding) lives in TypeScript.
class Capture : public Napi::ObjectWrap<Capture> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Capture(const Napi::CallbackInfo& info);
  ~Capture() override;

 private:
  // One mapped ring buffer and the fds writing into it; fds[0] owns the mapping.
  struct Stream {
    std::vector<OwnedFd> fds;
    OwnedMapping mapping;  // the metadata page followed by the data area
    uint64_t dataBytes = 0;
    RingCounts counts;
  };

  // One CPU's rings: the caller's events for every target (target-major, then in event order),
  // and apart from them the side-band events, so that a flood of samples cannot crowd out the
  // records that name processes, nor their loss be counted as lost samples. Built whole or not at
  // all: a ring that fails halfway unwinds by itself.
  struct Ring {
    Stream samples;
    Stream sideBand;  // no fds when the side-band was not asked for
  };

  Napi::Value Ids(const Napi::CallbackInfo& info);
  Napi::Value Enable(const Napi::CallbackInfo& info);
  Napi::Value Disable(const Napi::CallbackInfo& info);
  Napi::Value Drain(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value RingCount(const Napi::CallbackInfo& info);
  Napi::Value ReadLost(const Napi::CallbackInfo& info);

  // Opening, one function per phase: every ring, one ring, and the steps of one ring.
  void OpenAll(Napi::Env env, const Napi::Object& options);
  Ring OpenRing(Napi::Env env, const CaptureOptions& options, std::vector<perf_event_attr>& attrs, size_t ringIndex);
  OwnedFd OpenEvent(Napi::Env env, const CaptureOptions& options, std::vector<perf_event_attr>& attrs,
                    size_t eventIndex, int target, int cpu);
  // Records the sample id of event `eventIndex`'s fd at `idSlot` and sets the event's filter.
  void PrepareEvent(Napi::Env env, const CaptureOptions& options, int fd, size_t eventIndex, int cpu, size_t idSlot);
  // Adds an fd to `stream`: its first maps `dataBytes` of ring, every later one is redirected there.
  void JoinStream(Napi::Env env, Stream& stream, OwnedFd fd, uint64_t dataBytes, int cpu);
  void MapStream(Napi::Env env, Stream& stream, uint64_t dataBytes, int cpu);
  void WatchRing(Napi::Env env, const Ring& ring, size_t ringIndex);

  // Drains the sample rings into `out`, starting at nextRing_, until they are empty or `out` is full.
  DrainOutcome DrainSamples(uint8_t* out, size_t capacity);
  // Drains every side-band ring into `out`; returns the bytes written.
  size_t DrainSideBand(uint8_t* out, size_t capacity);
  // The fraction of `stream`'s data area holding records now (0 for a stream without fds).
  double RingFill(const Stream& stream) const;
  // Drains one stream into `out`; the outcome's outputFull says it stopped for lack of room.
  DrainOutcome DrainStream(Stream& stream, uint8_t* out, size_t capacity);
  // Calls `visit` with every perf fd, ring by ring.
  template <typename Visit>
  void ForEachFd(Visit visit) const {
    for (const Ring& ring : rings_) {
      for (const OwnedFd& fd : ring.samples.fds) visit(fd.Get());
      for (const OwnedFd& fd : ring.sideBand.fds) visit(fd.Get());
    }
  }

  void StartPolling(Napi::Env env);
  void StopPolling();
  // The drain deadline: a one-shot libuv timer that looks at the rings without entering JS and calls
  // onReadable only once the oldest waiting sample is due (drainDeadlineNs old).
  void StartTimer(Napi::Env env, uint64_t delayNs);
  void StopTimer();
  void OnTimer();
  // When the oldest waiting record of any ring is due, in CLOCK_MONOTONIC ns: 0 for now, UINT64_MAX
  // when nothing waits.
  uint64_t NextDue() const;
  // What waits in `stream` (nothing for a stream without fds).
  RingBacklog Peek(const Stream& stream) const;
  void CloseAll();
  void OnReadable(int status);
  // Calls the JS readiness callback on the loop's thread; `hangup` as ReadinessListener describes.
  void CallReadable(bool hangup);
  // Consumes the pending epoll events; true when one of them is a hangup or an error.
  bool ConsumeReadiness();

  static void CleanupHook(void* self);

  std::vector<uint64_t> ids_;  // sample ids, ring-major then target-major (protocol::SampleIdSlot)
  std::vector<Ring> rings_;    // one per CPU, in the order of options.cpus
  bool lostCounters_ = false;  // kernel >= 6.0: read() reports PERF_FORMAT_LOST per fd
  bool enableOnExec_ = false;  // the kernel enables the events at the target's next exec
  size_t pageSize_ = 0;        // the metadata page in front of each ring's data
  size_t nextRing_ = 0;        // rotates so a full output buffer does not starve late rings
  OwnedFd epoll_;              // every ring's leader, so one uv_poll watches them all
  uv_poll_t* poll_ = nullptr;  // freed by uv_close's callback, after the loop is done with it
  bool polling_ = false;
  uv_timer_t* timer_ = nullptr;  // freed by uv_close's callback, as poll_
  bool timing_ = false;
  uint64_t drainDeadlineNs_ = 0;
  bool closed_ = false;
  napi_env env_ = nullptr;
  Napi::FunctionReference onReadable_;
  Napi::ObjectReference asyncResource_;
};

}  // namespace perfbridge
