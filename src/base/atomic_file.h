// Replaces a local file whole, or not at all.
//
// The bytes go to a new temporary file next to the target (a random name
// opened with O_EXCL, so two writers in one process or several never share
// one), which is renamed over the target only after every write and the
// close succeeded. Any failure, or dropping the writer without Commit,
// removes the temporary file. Readers therefore see the old file or the new
// one, never a mix. No fsync: for the local caches this serves, a file lost
// in a crash only costs work (they are rebuilt), never correctness.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"

namespace coffer {

class AtomicFileWriter {
 public:
  // `what` names the file in errors ("files cache"). Creates missing parent
  // directories.
  static absl::StatusOr<AtomicFileWriter> Create(const std::filesystem::path& file, std::string_view what);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  // Errors are Unavailable and name the file and the system error; after
  // one, every later call fails the same way.
  absl::Status Append(ByteView data);
  // Closes and renames into place. REQUIRES: called at most once.
  absl::Status Commit();

 private:
  AtomicFileWriter(std::filesystem::path file, std::string temp, std::string what, int fd);
  absl::Status Fail(std::string_view doing, int err);
  void Abandon();

  std::filesystem::path file_;
  std::string temp_;
  std::string what_;
  int fd_ = -1;
  absl::Status error_;
};

}  // namespace coffer
