// Writes one file front to back, bypassing the page cache where it can.
//
// Bulk data a backup engine writes (restored files, pack files) is written
// once and not read again soon. Through the page cache every byte is first
// copied into freshly allocated cache pages, which costs more CPU than the
// rest of the write path on some machines (measured on this project's
// 2-core VM: 1 GiB buffered 3.3 s of kernel CPU, with O_DIRECT 0.15 s), and
// it evicts pages the machine's own work needs. With O_DIRECT the bytes are
// staged in a reused, aligned per-thread buffer and written in whole
// aligned blocks; the unaligned tail goes through the page cache.
//
// Where the filesystem refuses O_DIRECT (tmpfs, some FUSE filesystems) or a
// direct write fails with EINVAL (an alignment the device does not accept),
// the writer falls back to ordinary writes for the rest of the file, so the
// outcome is the same bytes either way. COFFER_DIRECT_IO=0 in the
// environment turns direct writes off.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "base/bytes.h"

namespace coffer {

// At most one writer with try_direct may be alive per thread at a time:
// direct writers stage through the thread's one aligned buffer.
class SequentialWriter {
 public:
  // `fd` is open for writing, positioned at offset 0 of an empty file, and
  // stays owned by the caller. With `try_direct` false every write is an
  // ordinary one.
  SequentialWriter(int fd, bool try_direct);
  SequentialWriter(const SequentialWriter&) = delete;
  SequentialWriter& operator=(const SequentialWriter&) = delete;

  // Appends `data` at the current end. Errors carry strerror's text.
  absl::Status Append(ByteView data);
  // Leaves `n` bytes unwritten (a hole). Only for a writer made without
  // try_direct: FailedPrecondition otherwise.
  absl::Status Skip(uint64_t n);
  // Writes everything still staged and, when the file ends in a hole, sets
  // its size to size(). Call once, after the last Append or Skip; the
  // descriptor is left without O_DIRECT.
  absl::Status Finish();

  uint64_t size() const { return offset_ + staged_; }
  // errno of the last failed write (0 if none), for callers that map it.
  int error_number() const { return errno_; }
  // Below this a file is a few blocks: the page cache costs little and the
  // unaligned tail would be most of it. Callers pass try_direct for larger.
  static constexpr uint64_t kWorthwhileSize = 256 << 10;
  // True while writes bypass the page cache (false after a fallback).
  bool direct() const { return direct_; }

  // Bytes staged per thread before a direct write: 1-4 MiB, smaller on
  // machines with more cores (and so more writers).
  static size_t StageSize();

  // Whether COFFER_DIRECT_IO allows direct writes (read once per process).
  static bool Enabled();

 private:
  absl::Status WriteAt(const uint8_t* data, size_t length, uint64_t offset);
  absl::Status FlushStaged(size_t length);
  void StopDirect();

  int fd_;
  bool direct_ = false;
  uint8_t* stage_ = nullptr;  // the calling thread's aligned buffer
  size_t staged_ = 0;         // bytes in stage_, starting at offset_
  uint64_t offset_ = 0;       // file offset of stage_[0]; always aligned
  bool ends_in_hole_ = false;  // the last call was a Skip
  int errno_ = 0;
};

}  // namespace coffer
