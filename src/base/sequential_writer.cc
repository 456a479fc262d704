#include "base/sequential_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"

namespace coffer {
namespace {

// 4096 satisfies both 512-byte and 4 KiB logical-block devices.
constexpr size_t kAlign = 4096;
}  // namespace

// Large enough that a direct write streams at the device's speed, small
// enough to keep per thread (only what a file fills of it is ever touched).
// Restoring the 2.8 GiB benchmark corpus onto this project's 2-core VM disk
// took 11.0-11.7 s with 4 MiB, 12.4-13.1 s with 1 MiB, no better with 8 MiB.
// A restore runs two writers per core (at most 32), so 4 MiB each would be
// 128 MiB on a 16-core machine: a stage is 16 MiB over the number of cores
// instead, 1 to 4 MiB, at most 32 MiB in all (more writers keep the device
// busy anyway).
size_t SequentialWriter::StageSize() {
  static const size_t size = [] {
    size_t cores = std::max(1u, std::thread::hardware_concurrency());
    size_t share = (size_t{16} << 20) / cores;
    share -= share % (size_t{1} << 20);  // whole MiB: a multiple of kAlign
    return std::clamp(share, size_t{1} << 20, size_t{4} << 20);
  }();
  return size;
}

namespace {

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

// One stage per thread, allocated on first use and kept: reused memory is
// already resident, which is the point of staging at all.
uint8_t* ThreadStage() {
  thread_local std::unique_ptr<uint8_t, FreeDeleter> stage(
      static_cast<uint8_t*>(std::aligned_alloc(kAlign, SequentialWriter::StageSize())));
  return stage.get();
}

}  // namespace

bool SequentialWriter::Enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("COFFER_DIRECT_IO");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return enabled;
}

SequentialWriter::SequentialWriter(int fd, bool try_direct) : fd_(fd) {
  if (!try_direct || !Enabled()) return;
  stage_ = ThreadStage();
  if (stage_ == nullptr) return;
  int flags = fcntl(fd_, F_GETFL);
  direct_ = flags >= 0 && fcntl(fd_, F_SETFL, flags | O_DIRECT) == 0;
}

void SequentialWriter::StopDirect() {
  if (!direct_) return;
  direct_ = false;
  int flags = fcntl(fd_, F_GETFL);
  if (flags >= 0) fcntl(fd_, F_SETFL, flags & ~O_DIRECT);
}

absl::Status SequentialWriter::WriteAt(const uint8_t* data, size_t length, uint64_t offset) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = pwrite(fd_, data + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EINVAL && direct_) {
      // The device wants another alignment: same bytes, ordinary write.
      StopDirect();
      continue;
    }
    if (n < 0) {
      errno_ = errno;
      return absl::ResourceExhaustedError(strerror(errno_));
    }
    if (n == 0) {
      errno_ = EIO;
      return absl::ResourceExhaustedError("write returned 0 bytes");
    }
    done += static_cast<size_t>(n);
    // A short direct write may leave the rest unaligned.
    if (direct_ && done < length && (done % kAlign) != 0) StopDirect();
  }
  return absl::OkStatus();
}

absl::Status SequentialWriter::FlushStaged(size_t length) {
  absl::Status s = WriteAt(stage_, length, offset_);
  if (!s.ok()) return s;
  offset_ += length;
  staged_ -= length;
  if (staged_ != 0) std::memmove(stage_, stage_ + length, staged_);
  return absl::OkStatus();
}

absl::Status SequentialWriter::Append(ByteView data) {
  if (!data.empty()) ends_in_hole_ = false;
  if (!direct_ && staged_ == 0) {
    absl::Status s = WriteAt(data.data(), data.size(), offset_);
    if (s.ok()) offset_ += data.size();
    return s;
  }
  size_t used = 0;
  while (used < data.size()) {
    size_t take = std::min(StageSize() - staged_, data.size() - used);
    std::memcpy(stage_ + staged_, data.data() + used, take);
    staged_ += take;
    used += take;
    if (staged_ == StageSize()) {
      absl::Status s = FlushStaged(StageSize());
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status SequentialWriter::Skip(uint64_t n) {
  if (stage_ != nullptr) return absl::FailedPreconditionError("a direct writer cannot leave holes");
  offset_ += n;
  ends_in_hole_ = ends_in_hole_ || n != 0;
  return absl::OkStatus();
}

absl::Status SequentialWriter::Finish() {
  if (staged_ != 0) {
    size_t aligned = staged_ - staged_ % kAlign;
    if (aligned != 0 && direct_) {
      absl::Status s = FlushStaged(aligned);
      if (!s.ok()) return s;
    }
    StopDirect();
    absl::Status s = FlushStaged(staged_);
    if (!s.ok()) return s;
  }
  StopDirect();
  // No write reached the end of a trailing hole: only the size can.
  if (ends_in_hole_ && ftruncate(fd_, static_cast<off_t>(offset_)) != 0) {
    errno_ = errno;
    return absl::ResourceExhaustedError(absl::StrCat("cannot set the size: ", strerror(errno_)));
  }
  return absl::OkStatus();
}

}  // namespace coffer
