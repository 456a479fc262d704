// A new file written before it has its name, then named in one step: nobody
// sees it half written under the real name, and an interrupted writer leaves
// nothing behind.
//
// Linux's O_TMPFILE makes an unnamed file in a directory and linkat() names
// it: with AT_EMPTY_PATH where the process may (CAP_DAC_READ_SEARCH, e.g.
// root; anyone for a file they opened since Linux 6.10), else through its
// /proc/self/fd link. Where neither works (a
// filesystem without O_TMPFILE, no /proc) the file is made under a
// temporary name next to its destination and renamed into place, which
// costs more: two more directory updates per file (on this project's VM,
// 20,000 files of 2 KiB: 1.4-1.8 s with a temporary name and rename,
// 1.1-1.2 s unnamed and linked).
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace coffer {

enum class FileNaming { kLinkEmptyPath, kLinkProcFd, kTemporaryName };

// The cheapest naming that works in directory `dir` (tried once: make an
// unnamed file, name it, remove it).
FileNaming ProbeFileNaming(const std::string& dir);

class PendingFile {
 public:
  // A file that Commit names `dest`; its directory must exist. With
  // kTemporaryName (or when the directory refuses an unnamed file) it is
  // `temporary_prefix` + "-" + random hex in that directory until then
  // (".coffer-restore-tmp-0123456789abcdef"): a name no file has, so nothing
  // else is ever replaced or removed; an interrupted run can leave one
  // behind. Errors: Internal, "cannot create ...".
  static absl::StatusOr<PendingFile> Create(const std::string& dest, FileNaming naming,
                                            const std::string& temporary_prefix);
  PendingFile(PendingFile&& other) noexcept;
  PendingFile& operator=(PendingFile&&) = delete;
  PendingFile(const PendingFile&) = delete;
  ~PendingFile();  // without Commit: the file is discarded

  int fd() const { return fd_; }
  // Names the file `dest`, replacing what is there, and closes it. Errors
  // name `dest` and the system error; the file is then discarded.
  absl::Status Commit();

 private:
  PendingFile(std::string dest, std::string temporary_prefix, FileNaming naming, int fd);
  void Discard();

  std::string dest_;
  std::string prefix_;
  std::string temporary_;  // its name until Commit; empty while unnamed
  FileNaming naming_;
  int fd_ = -1;
};

}  // namespace coffer
