#include "js-values.h"

namespace perfbridge {
namespace {

[[noreturn]] void ThrowWrongType(const Napi::Value& value, const std::string& name, const char* expected) {
  throw Napi::TypeError::New(value.Env(), name + " must be " + expected);
}

}  // namespace

Napi::Object CheckedObject(const Napi::Value& value, const std::string& name) {
  if (!value.IsObject()) ThrowWrongType(value, name, "an object");
  return value.As<Napi::Object>();
}

Napi::Array CheckedArray(const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) ThrowWrongType(value, name, "an array");
  return value.As<Napi::Array>();
}

Napi::Function CheckedFunction(const Napi::Value& value, const std::string& name) {
  if (!value.IsFunction()) ThrowWrongType(value, name, "a function");
  return value.As<Napi::Function>();
}

Napi::ArrayBuffer CheckedArrayBuffer(const Napi::Value& value, const std::string& name) {
  if (!value.IsArrayBuffer()) ThrowWrongType(value, name, "an ArrayBuffer");
  return value.As<Napi::ArrayBuffer>();
}

Napi::Float64Array CheckedFloat64Array(const Napi::Value& value, const std::string& name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    ThrowWrongType(value, name, "a Float64Array");
  }
  return value.As<Napi::Float64Array>();
}

Napi::String CheckedString(const Napi::Value& value, const std::string& name) {
  if (!value.IsString()) ThrowWrongType(value, name, "a string");
  return value.As<Napi::String>();
}

Napi::Number CheckedNumber(const Napi::Value& value, const std::string& name) {
  if (!value.IsNumber()) ThrowWrongType(value, name, "a number");
  return value.As<Napi::Number>();
}

uint64_t CheckedU64(const Napi::Value& value, const std::string& name, uint64_t fallback) {
  if (value.IsUndefined()) return fallback;
  if (value.IsNumber()) return static_cast<uint64_t>(value.As<Napi::Number>().Int64Value());
  if (!value.IsBigInt()) ThrowWrongType(value, name, "a bigint or a number");
  bool lossless = false;
  const uint64_t result = value.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) throw Napi::RangeError::New(value.Env(), name + " must be from 0 to 2^64-1");
  return result;
}

bool CheckedBoolean(const Napi::Value& value, const std::string& name, bool fallback) {
  if (value.IsUndefined()) return fallback;
  if (!value.IsBoolean()) ThrowWrongType(value, name, "a boolean");
  return value.As<Napi::Boolean>().Value();
}

}  // namespace perfbridge
