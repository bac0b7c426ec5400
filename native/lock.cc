#include "lock.h"

#include <sys/file.h>

#include <cerrno>

#include "errors.h"

namespace perfbridge {

Napi::Value TryLockExclusive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "tryLockExclusive(fd): fd must be a number");
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  int result;
  do {
    result = flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  throw ErrnoError(env, errno, "flock", "probe lock");
}

}  // namespace perfbridge
