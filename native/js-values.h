// Reading the JS values the addon is given, each checked for its type first. Napi's As<>() does not
// check (a wrong type is undefined behaviour), so every cast goes through here and a wrong type
// throws a TypeError naming the option or argument. TypeScript validates values before the call;
// these checks keep a caller that skips it (or a bug) from reading garbage.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace perfbridge {

// `value` as an object; otherwise a TypeError "<name> must be an object".
Napi::Object CheckedObject(const Napi::Value& value, const std::string& name);

// `value` as an array; otherwise a TypeError naming `name`.
Napi::Array CheckedArray(const Napi::Value& value, const std::string& name);

// `value` as a function; otherwise a TypeError naming `name`.
Napi::Function CheckedFunction(const Napi::Value& value, const std::string& name);

// `value` as an ArrayBuffer; otherwise a TypeError naming `name`.
Napi::ArrayBuffer CheckedArrayBuffer(const Napi::Value& value, const std::string& name);

// `value` as a Float64Array; otherwise a TypeError naming `name`.
Napi::Float64Array CheckedFloat64Array(const Napi::Value& value, const std::string& name);

// `value` as a string; otherwise a TypeError naming `name`.
Napi::String CheckedString(const Napi::Value& value, const std::string& name);

// `value` as a number; otherwise a TypeError naming `name`.
Napi::Number CheckedNumber(const Napi::Value& value, const std::string& name);

// `value` as an unsigned 64-bit integer, from a bigint or a number; `fallback` when undefined.
// Otherwise a TypeError naming `name` (a RangeError for a bigint outside 0..2^64-1).
uint64_t CheckedU64(const Napi::Value& value, const std::string& name, uint64_t fallback);

// `value` as a boolean; `fallback` when undefined; otherwise a TypeError naming `name`.
bool CheckedBoolean(const Napi::Value& value, const std::string& name, bool fallback);

}  // namespace perfbridge
