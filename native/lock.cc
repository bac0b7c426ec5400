#include "lock.h"

#include <sys/file.h>

#include <cerrno>

#include "errors.h"
#include "js-values.h"

namespace perfbridge {

Napi::Value TryLockExclusive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int fd = CheckedNumber(info[0], "tryLockExclusive: fd").Int32Value();
  int result;
  do {
    result = flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  throw ErrnoError(env, errno, "flock", "probe lock");
}

}  // namespace perfbridge
