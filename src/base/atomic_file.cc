#include "base/atomic_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/hex.h"

namespace coffer {

absl::StatusOr<AtomicFileWriter> AtomicFileWriter::Create(const std::filesystem::path& file,
                                                          std::string_view what) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);  // open reports what matters
  // Unpredictable is not needed, only distinct: O_EXCL catches the rest.
  uint8_t suffix[4] = {};
  if (getrandom(suffix, sizeof(suffix), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(suffix))) {
    static std::atomic<uint32_t> counter{0};
    uint32_t n = counter++ ^ static_cast<uint32_t>(reinterpret_cast<uintptr_t>(&file));
    std::memcpy(suffix, &n, sizeof(suffix));
  }
  std::string temp = absl::StrCat(file.string(), ".tmp-", getpid(), "-", HexEncode(ByteView(suffix, sizeof(suffix))));
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot write ", std::string(what), " ", temp, ": ", strerror(errno)));
  return AtomicFileWriter(file, std::move(temp), std::string(what), fd);
}

AtomicFileWriter::AtomicFileWriter(std::filesystem::path file, std::string temp, std::string what, int fd)
    : file_(std::move(file)), temp_(std::move(temp)), what_(std::move(what)), fd_(fd) {}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : file_(std::move(other.file_)),
      temp_(std::move(other.temp_)),
      what_(std::move(other.what_)),
      fd_(std::exchange(other.fd_, -1)),
      error_(std::move(other.error_)) {}

AtomicFileWriter::~AtomicFileWriter() { Abandon(); }

void AtomicFileWriter::Abandon() {
  if (fd_ < 0) return;
  close(fd_);
  fd_ = -1;
  unlink(temp_.c_str());
}

absl::Status AtomicFileWriter::Fail(std::string_view doing, int err) {
  Abandon();
  if (error_.ok())
    error_ = absl::UnavailableError(absl::StrCat("cannot ", std::string(doing), " ", what_, " ", file_.string(), ": ", strerror(err)));
  return error_;
}

absl::Status AtomicFileWriter::Append(ByteView data) {
  if (!error_.ok()) return error_;
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(what_, " was already committed"));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd_, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail("write", errno);
    if (n == 0) return Fail("write", EIO);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() {
  if (!error_.ok()) return error_;
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(what_, " was already committed"));
  int fd = std::exchange(fd_, -1);
  if (close(fd) != 0) {
    int err = errno;
    unlink(temp_.c_str());
    return error_ = absl::UnavailableError(absl::StrCat("cannot write ", what_, " ", file_.string(), ": ", strerror(err)));
  }
  if (rename(temp_.c_str(), file_.c_str()) != 0) {
    int err = errno;
    unlink(temp_.c_str());
    return error_ = absl::UnavailableError(absl::StrCat("cannot replace ", what_, " ", file_.string(), ": ", strerror(err)));
  }
  return absl::OkStatus();
}

}  // namespace coffer
