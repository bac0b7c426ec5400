// Owners of kernel resources: a file descriptor and a shared memory mapping, released exactly once
// when their owner goes away, so a half-built capture cleans up by unwinding.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <utility>

namespace perfbridge {

// A file descriptor closed on destruction. Move-only; -1 means none.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd() { Reset(); }

  int Get() const { return fd_; }
  bool Valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A MAP_SHARED mapping unmapped on destruction. Move-only; empty when base is null.
class OwnedMapping {
 public:
  OwnedMapping() = default;
  OwnedMapping(void* base, size_t bytes) : base_(base), bytes_(bytes) {}
  OwnedMapping(OwnedMapping&& other) noexcept
      : base_(std::exchange(other.base_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  OwnedMapping& operator=(OwnedMapping&& other) noexcept {
    if (this != &other) {
      Reset();
      base_ = std::exchange(other.base_, nullptr);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  OwnedMapping(const OwnedMapping&) = delete;
  OwnedMapping& operator=(const OwnedMapping&) = delete;
  ~OwnedMapping() { Reset(); }

  void* Base() const { return base_; }
  void Reset() {
    if (base_ != nullptr) munmap(base_, bytes_);
    base_ = nullptr;
    bytes_ = 0;
  }

 private:
  void* base_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace perfbridge
