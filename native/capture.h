// A set of perf events sharing one ring buffer per CPU, read in batches from JS.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

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
  struct Ring {
    int leaderFd = -1;
    void* base = nullptr;  // metadata page followed by the data area
    size_t mappedBytes = 0;
    RingCounts counts;
  };

  Napi::Value Ids(const Napi::CallbackInfo& info);
  Napi::Value Enable(const Napi::CallbackInfo& info);
  Napi::Value Disable(const Napi::CallbackInfo& info);
  Napi::Value Drain(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value RingCount(const Napi::CallbackInfo& info);
  Napi::Value ReadLost(const Napi::CallbackInfo& info);

  void OpenAll(Napi::Env env, const Napi::Object& options);
  void StartPolling();
  void StopPolling();
  void CloseAll();
  void OnReadable(int status, int events);

  static void CleanupHook(void* self);

  std::vector<int> fds_;          // every perf fd, ring-major then event order
  std::vector<uint64_t> ids_;     // sample id of fds_[i]
  std::vector<Ring> rings_;
  size_t eventsPerRing_ = 0;
  bool lostCounters_ = false;     // kernel >= 6.0: read() reports PERF_FORMAT_LOST per fd
  bool enableOnExec_ = false;     // the kernel enables the events at the target's next exec
  uint64_t dataBytes_ = 0;        // size of each ring's data area
  size_t pageSize_ = 0;           // the metadata page in front of each ring's data
  size_t nextRing_ = 0;           // rotates so a full output buffer does not starve late rings
  int epollFd_ = -1;
  uv_poll_t* poll_ = nullptr;
  bool polling_ = false;
  bool closed_ = false;
  napi_env env_ = nullptr;
  Napi::FunctionReference onReadable_;
  Napi::ObjectReference asyncResource_;
};

// Exposes DrainRing over a JS-built ring (metadata page + data) so the reader is tested
// without a kernel: drainSyntheticRing(ring: ArrayBuffer, dataSize, out: ArrayBuffer, counts: Float64Array)
Napi::Value DrainSyntheticRing(const Napi::CallbackInfo& info);

}  // namespace perfbridge
