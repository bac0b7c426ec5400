// Module entry of perf_bridge_test, the addon only the tests load (binding.gyp builds it beside
// perf_bridge): the ring reader over JS-built rings, and native/protocol.h's constants and slot
// functions, which test/native/protocol.test.ts compares with src/native-protocol.ts.
#include <napi.h>

#include <cstddef>
#include <string>
#include <utility>

#include "js-values.h"
#include "protocol.h"
#include "synthetic-ring.h"

namespace perfbridge {
namespace {

// The names TypeScript gives the RingCount offsets (the keys of RING_COUNT).
constexpr std::pair<const char*, protocol::RingCount> kRingCountNames[] = {
    {"lostRecords", protocol::kLostRecords},
    {"lostSamples", protocol::kLostSamples},
    {"corruptResets", protocol::kCorruptResets},
    {"sideBandLost", protocol::kSideBandLost},
    {"fill", protocol::kFill},
};

size_t IndexArgument(const Napi::CallbackInfo& info, size_t position, const char* name) {
  return static_cast<size_t>(CheckedNumber(info[position], name).Int64Value());
}

Napi::Value SizeValue(Napi::Env env, size_t size) { return Napi::Number::New(env, static_cast<double>(size)); }

Napi::Value DrainCountsLength(const Napi::CallbackInfo& info) {
  return SizeValue(info.Env(), protocol::DrainCountsLength(IndexArgument(info, 0, "ringCount")));
}

Napi::Value RingCountSlot(const Napi::CallbackInfo& info) {
  const std::string which = CheckedString(info[1], "which").Utf8Value();
  for (const auto& [name, offset] : kRingCountNames) {
    if (which == name) return SizeValue(info.Env(), protocol::RingCountSlot(IndexArgument(info, 0, "ring"), offset));
  }
  throw Napi::RangeError::New(info.Env(), "ringCountSlot: no ring count named '" + which + "'");
}

Napi::Value BufferFilledSlot(const Napi::CallbackInfo& info) {
  return SizeValue(info.Env(), protocol::BufferFilledSlot(IndexArgument(info, 0, "ringCount")));
}

Napi::Value SideBandBytesSlot(const Napi::CallbackInfo& info) {
  return SizeValue(info.Env(), protocol::SideBandBytesSlot(IndexArgument(info, 0, "ringCount")));
}

Napi::Value SampleIdSlot(const Napi::CallbackInfo& info) {
  const size_t slot = protocol::SampleIdSlot(
      IndexArgument(info, 0, "ring"), IndexArgument(info, 1, "target"), IndexArgument(info, 2, "eventIndex"),
      IndexArgument(info, 3, "targetCount"), IndexArgument(info, 4, "eventCount"));
  return SizeValue(info.Env(), slot);
}

// The `protocol` export: the constants, and the slot functions as C++ computes them.
Napi::Object ProtocolObject(Napi::Env env) {
  Napi::Object ringCount = Napi::Object::New(env);
  for (const auto& [name, offset] : kRingCountNames) ringCount.Set(name, SizeValue(env, offset));
  Napi::Object exported = Napi::Object::New(env);
  exported.Set("RING_COUNT", ringCount);
  exported.Set("COUNTS_PER_RING", SizeValue(env, protocol::kCountsPerRing));
  exported.Set("drainCountsLength", Napi::Function::New(env, DrainCountsLength, "drainCountsLength"));
  exported.Set("ringCountSlot", Napi::Function::New(env, RingCountSlot, "ringCountSlot"));
  exported.Set("bufferFilledSlot", Napi::Function::New(env, BufferFilledSlot, "bufferFilledSlot"));
  exported.Set("sideBandBytesSlot", Napi::Function::New(env, SideBandBytesSlot, "sideBandBytesSlot"));
  exported.Set("sampleIdSlot", Napi::Function::New(env, SampleIdSlot, "sampleIdSlot"));
  return exported;
}

Napi::Object InitTestAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("drainSyntheticRing", Napi::Function::New(env, DrainSyntheticRing, "drainSyntheticRing"));
  exports.Set("protocol", ProtocolObject(env));
  return exports;
}

}  // namespace
}  // namespace perfbridge

// NODE_API_MODULE takes an unqualified name.
static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return perfbridge::InitTestAddon(env, exports); }

NODE_API_MODULE(perf_bridge_test, InitModule)
