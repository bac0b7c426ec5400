// Advisory file locks (flock) for serialising probe-file changes between perf-bridge processes.
#pragma once

#include <napi.h>

namespace perfbridge {

// tryLockExclusive(fd): takes flock(LOCK_EX | LOCK_NB) on an fd opened by JS. Returns true when
// taken, false when another open file description holds it; throws an errno error otherwise.
// The lock is released when the fd is closed (or the process dies), which is why flock is used.
Napi::Value TryLockExclusive(const Napi::CallbackInfo& info);

}  // namespace perfbridge
