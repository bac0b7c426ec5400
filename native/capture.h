// A set of perf events sharing one ring buffer per CPU, read in batches from JS.
#pragma once

#include <linux/perf_event.h>
#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <vector>

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
  // One CPU's ring: the events opened on that CPU, all writing into the leader's (the first
  // event's) mapping. Built whole or not at all: a ring that fails halfway unwinds by itself.
  struct Ring {
    std::vector<OwnedFd> fds;  // in event order; fds[0] is the leader
    OwnedMapping mapping;      // the metadata page followed by the data area
    RingCounts counts;
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
  Ring OpenRing(Napi::Env env, std::vector<perf_event_attr>& attrs, int pid, int cpu, size_t ringIndex);
  OwnedFd OpenEvent(Napi::Env env, std::vector<perf_event_attr>& attrs, size_t eventIndex, int pid, int cpu);
  void MapRing(Napi::Env env, Ring& ring, int cpu);
  void WatchRing(Napi::Env env, const Ring& ring, size_t ringIndex);

  // Drains the rings into `out`, starting at nextRing_, until they are empty or `out` is full.
  DrainOutcome DrainRings(uint8_t* out, size_t capacity);
  // Calls `visit` with every perf fd, ring by ring.
  template <typename Visit>
  void ForEachFd(Visit visit) const {
    for (const Ring& ring : rings_) {
      for (const OwnedFd& fd : ring.fds) visit(fd.Get());
    }
  }

  void StartPolling(Napi::Env env);
  void StopPolling();
  void CloseAll();
  void OnReadable(int status);
  // Consumes the pending epoll events; true when one of them is a hangup or an error.
  bool ConsumeReadiness();

  static void CleanupHook(void* self);

  std::vector<uint64_t> ids_;  // sample ids, ring-major (protocol::SampleIdSlot)
  std::vector<Ring> rings_;    // one per CPU, in the order of options.cpus
  bool lostCounters_ = false;  // kernel >= 6.0: read() reports PERF_FORMAT_LOST per fd
  bool enableOnExec_ = false;  // the kernel enables the events at the target's next exec
  uint64_t dataBytes_ = 0;     // size of each ring's data area
  size_t pageSize_ = 0;        // the metadata page in front of each ring's data
  size_t nextRing_ = 0;        // rotates so a full output buffer does not starve late rings
  OwnedFd epoll_;              // every ring's leader, so one uv_poll watches them all
  uv_poll_t* poll_ = nullptr;  // freed by uv_close's callback, after the loop is done with it
  bool polling_ = false;
  bool closed_ = false;
  napi_env env_ = nullptr;
  Napi::FunctionReference onReadable_;
  Napi::ObjectReference asyncResource_;
};

}  // namespace perfbridge
