// Turning failed system calls into JS errors that carry errno, code and syscall.
#pragma once

#include <napi.h>

#include <string>

namespace perfbridge {

// Builds an Error whose message is "<syscall>: <strerror> (<detail>)" and which carries
// `errno` (positive), `code` (such as "EACCES") and `syscall`. Hints are added in TypeScript.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& detail);

}  // namespace perfbridge
