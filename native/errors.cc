#include "errors.h"

#include <uv.h>

#include <cstring>

namespace perfbridge {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& detail) {
  std::string message = std::string(syscall) + ": " + std::strerror(err);
  if (!detail.empty()) message += " (" + detail + ")";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("errno", Napi::Number::New(env, err));
  // libuv error codes on Linux are negated errno values, so uv_err_name names them.
  error.Set("code", Napi::String::New(env, uv_err_name(-err)));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

}  // namespace perfbridge
