#include "capture-options.h"

#include <time.h>

#include "js-values.h"

namespace perfbridge {
namespace {

// PERF_FORMAT_LOST (Linux 6.0): read() also returns the samples this event could not write.
constexpr uint64_t kPerfFormatLost = 1U << 4;

constexpr uint64_t kSampleType =
    PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;

const std::string kOptions = "Capture: options.";

// Option `key` of `object` as an unsigned 32-bit number; `fallback` when undefined.
uint32_t U32Option(const Napi::Object& object, const char* key, const std::string& name, uint32_t fallback) {
  const Napi::Value value = object.Get(key);
  return value.IsUndefined() ? fallback : CheckedNumber(value, name).Uint32Value();
}

EventSpec ReadEventSpec(const Napi::Value& value, const std::string& name) {
  const Napi::Object object = CheckedObject(value, name);
  EventSpec spec;
  spec.type = U32Option(object, "type", name + ".type", PERF_TYPE_TRACEPOINT);
  spec.config = CheckedU64(object.Get("config"), name + ".config", 0);
  const Napi::Value config1String = object.Get("config1String");
  if (!config1String.IsUndefined()) {
    spec.hasConfig1String = true;
    spec.config1String = CheckedString(config1String, name + ".config1String").Utf8Value();
  } else {
    spec.config1 = CheckedU64(object.Get("config1"), name + ".config1", 0);
  }
  spec.config2 = CheckedU64(object.Get("config2"), name + ".config2", 0);
  const Napi::Value filter = object.Get("filter");
  if (!filter.IsUndefined()) spec.filter = CheckedString(filter, name + ".filter").Utf8Value();
  const Napi::Value callchain = object.Get("callchain");
  if (!callchain.IsUndefined()) {
    const Napi::Object chain = CheckedObject(callchain, name + ".callchain");
    spec.callchain = true;
    spec.callchainKernel = CheckedBoolean(chain.Get("kernel"), name + ".callchain.kernel", true);
    spec.callchainUser = CheckedBoolean(chain.Get("user"), name + ".callchain.user", true);
    const uint32_t maxStack = U32Option(chain, "maxStack", name + ".callchain.maxStack", 0);
    if (maxStack > UINT16_MAX || (!spec.callchainKernel && !spec.callchainUser)) {
      throw Napi::TypeError::New(value.Env(),
                                 name + ".callchain: maxStack is at most 65535, and kernel or user is true");
    }
    spec.maxStack = static_cast<uint16_t>(maxStack);
  }
  return spec;
}

}  // namespace

CaptureOptions ReadCaptureOptions(const Napi::Object& object) {
  CaptureOptions options;
  const Napi::Array events = CheckedArray(object.Get("events"), kOptions + "events");
  for (uint32_t e = 0; e < events.Length(); e++) {
    options.events.push_back(ReadEventSpec(events.Get(e), kOptions + "events[" + std::to_string(e) + "]"));
  }
  const Napi::Array cpus = CheckedArray(object.Get("cpus"), kOptions + "cpus");
  for (uint32_t c = 0; c < cpus.Length(); c++) {
    const std::string name = kOptions + "cpus[" + std::to_string(c) + "]";
    options.cpus.push_back(CheckedNumber(cpus.Get(c), name).Int32Value());
  }
  const Napi::Array targets = CheckedArray(object.Get("targets"), kOptions + "targets");
  for (uint32_t t = 0; t < targets.Length(); t++) {
    const std::string name = kOptions + "targets[" + std::to_string(t) + "]";
    options.targets.push_back(CheckedNumber(targets.Get(t), name).Int32Value());
  }
  options.cgroup = CheckedBoolean(object.Get("cgroup"), kOptions + "cgroup", false);
  options.sideBand = CheckedBoolean(object.Get("sideBand"), kOptions + "sideBand", false);
  options.sideBandMappings = CheckedBoolean(object.Get("sideBandMappings"), kOptions + "sideBandMappings", false);
  options.inherit = CheckedBoolean(object.Get("inherit"), kOptions + "inherit", false);
  options.enableOnExec = CheckedBoolean(object.Get("enableOnExec"), kOptions + "enableOnExec", false);
  options.ringPages = U32Option(object, "ringPages", kOptions + "ringPages", 0);
  options.sideBandPages = U32Option(object, "sideBandPages", kOptions + "sideBandPages", 0);
  options.wakeupEvents = U32Option(object, "wakeupEvents", kOptions + "wakeupEvents", 0);
  options.wakeupBytes = U32Option(object, "wakeupBytes", kOptions + "wakeupBytes", 0);
  const Napi::Value deadline = object.Get("drainDeadlineMs");
  bool badDeadline = false;
  if (!deadline.IsUndefined()) {
    const double deadlineMs = CheckedNumber(deadline, kOptions + "drainDeadlineMs").DoubleValue();
    badDeadline = !(deadlineMs > 0 && deadlineMs <= 3.6e6);
    if (!badDeadline) options.drainDeadlineNs = static_cast<uint64_t>(deadlineMs * 1e6);
  }
  const auto powerOfTwo = [](uint32_t pages) { return pages != 0 && (pages & (pages - 1)) == 0; };
  if (options.events.empty() || options.cpus.empty() || options.targets.empty() || !powerOfTwo(options.ringPages) ||
      (options.sideBand && !powerOfTwo(options.sideBandPages)) || badDeadline) {
    throw Napi::TypeError::New(object.Env(),
                               "Capture: events, cpus, targets, power-of-two ringPages (and sideBandPages with "
                               "sideBand) are required; drainDeadlineMs, when given, is in (0, 3600000]");
  }
  return options;
}

std::vector<perf_event_attr> EventAttributes(const CaptureOptions& options) {
  std::vector<perf_event_attr> attrs;
  for (const EventSpec& spec : options.events) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = spec.type;
    attr.config = spec.config;
    attr.config1 = spec.hasConfig1String ? reinterpret_cast<uint64_t>(spec.config1String.c_str()) : spec.config1;
    attr.config2 = spec.config2;
    attr.sample_period = 1;
    attr.sample_type = kSampleType;
    if (spec.callchain) {
      attr.sample_type |= PERF_SAMPLE_CALLCHAIN;
      attr.exclude_callchain_kernel = spec.callchainKernel ? 0 : 1;
      attr.exclude_callchain_user = spec.callchainUser ? 0 : 1;
      attr.sample_max_stack = spec.maxStack;
    }
    attr.disabled = 1;
    attr.inherit = options.inherit ? 1 : 0;
    attr.enable_on_exec = options.enableOnExec ? 1 : 0;
    attr.read_format = kPerfFormatLost;
    attr.use_clockid = 1;
    attr.clockid = CLOCK_MONOTONIC;
    if (options.wakeupBytes > 0) {
      attr.watermark = 1;
      attr.wakeup_watermark = options.wakeupBytes;
    } else {
      attr.wakeup_events = options.wakeupEvents > 0 ? options.wakeupEvents : 1;
    }
    attr.sample_id_all = 1;  // side-band records carry tid and time, so they sort among the samples
    attrs.push_back(attr);
  }
  if (options.sideBand) {
    perf_event_attr attr = attrs.front();
    attr.sample_type = kSampleType;  // its records' sample id is the same whatever the first event samples
    attr.exclude_callchain_kernel = 0;
    attr.exclude_callchain_user = 0;
    attr.sample_max_stack = 0;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
    attr.config1 = 0;
    attr.config2 = 0;
    attr.comm = 1;
    attr.comm_exec = 1;
    attr.task = 1;
    if (options.sideBandMappings) {
      attr.mmap = 1;  // executable mappings only (mmap_data stays 0)
      attr.mmap2 = 1;
    }
    attrs.push_back(attr);
  }
  return attrs;
}

}  // namespace perfbridge
