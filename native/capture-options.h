// The options of `new Capture(options, onReadable)`, read from JS and turned into the
// perf_event_attr of each event.
#pragma once

#include <linux/perf_event.h>
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace perfbridge {

// One event to open on every CPU (`NativeEventSpec` in src/native.ts).
struct EventSpec {
  uint32_t type = PERF_TYPE_TRACEPOINT;
  uint64_t config = 0;
  uint64_t config1 = 0;
  uint64_t config2 = 0;
  bool hasConfig1String = false;
  std::string config1String;  // a symbol or path the perf_kprobe / perf_uprobe PMU reads via config1
  std::string filter;         // set with PERF_EVENT_IOC_SET_FILTER after opening; empty: none
  // PERF_SAMPLE_CALLCHAIN: each sample carries its call chain (nr, then nr ips) before RAW.
  bool callchain = false;
  bool callchainKernel = true;  // with callchain: kernel frames (exclude_callchain_kernel when false)
  bool callchainUser = true;    // with callchain: user frames (exclude_callchain_user when false)
  uint16_t maxStack = 0;        // with callchain: sample_max_stack; 0: the kernel's limit
};

// `NativeCaptureOptions` in src/native.ts.
struct CaptureOptions {
  std::vector<EventSpec> events;
  std::vector<int> cpus;
  // What every event is opened for on each CPU: process or thread ids (-1: every process), or the
  // one fd of a cgroup directory when `cgroup` is set (PERF_FLAG_PID_CGROUP).
  std::vector<int> targets;
  bool cgroup = false;
  // Also open a dummy event per CPU and target that writes PERF_RECORD_COMM / FORK / EXIT into a
  // ring of its own per CPU, so process names can be tracked; it has no sample id.
  bool sideBand = false;
  // With sideBand: the dummy event also writes PERF_RECORD_MMAP2 for executable mappings, so user
  // call chains can be symbolized.
  bool sideBandMappings = false;
  bool inherit = false;
  bool enableOnExec = false;
  uint32_t ringPages = 0;      // data pages per ring: a power of two
  uint32_t sideBandPages = 0;  // data pages per side-band ring (with sideBand): a power of two
  uint32_t wakeupEvents = 0;
  uint32_t wakeupBytes = 0;
  // The longest a sample may wait in a ring before onReadable is called for it, in nanoseconds;
  // 0: no deadline, onReadable at the wakeup point only.
  uint64_t drainDeadlineNs = 0;
};

// Where PERF_RECORD_SAMPLE's time lies in the records of EventAttributes' sample_type: after the
// header, the identifier and the pid/tid pair.
constexpr uint64_t kSampleTimeOffset = sizeof(perf_event_header) + 8 + 8;

// Reads and checks the options object: a value of the wrong type throws a TypeError naming it;
// no events, no CPUs, a ringPages that is not a power of two or a drainDeadlineMs out of range throws
// a TypeError.
CaptureOptions ReadCaptureOptions(const Napi::Object& options);

// The attributes to open each event with (disabled, one sample per hit, CLOCK_MONOTONIC times,
// PERF_FORMAT_LOST requested, sample id on every record), then the side-band event's when asked
// for. A config1 string is passed by address, so `options` must outlive the perf_event_open calls.
std::vector<perf_event_attr> EventAttributes(const CaptureOptions& options);

}  // namespace perfbridge
