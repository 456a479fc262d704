#include "password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli.h"

namespace cli {
namespace {

// The file's first line (without its line ending).
std::string ReadPasswordFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure("cannot read password file " + path + ": " + std::strerror(errno));
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw Failure("password file " + path + " is empty");
  return line;
}

// Reads a line from the controlling terminal with echo off. Returns false
// when there is no terminal.
bool PromptOnTerminal(const std::string& prompt, std::string& out) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct termios saved;
  bool is_tty = ::tcgetattr(fd, &saved) == 0;
  if (!is_tty) {
    ::close(fd);
    return false;
  }
  struct termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  (void)::write(fd, prompt.data(), prompt.size());
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string line;
  char c;
  ssize_t n;
  while ((n = ::read(fd, &c, 1)) == 1 && c != '\n') line += c;
  int read_errno = errno;
  ::tcsetattr(fd, TCSAFLUSH, &saved);
  ::close(fd);
  if (n < 0 && read_errno == EINTR) throw Failure("interrupted");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  out = std::move(line);
  return true;
}

std::string Prompt(const std::string& what, bool confirm, const char* how_to) {
  std::string first;
  // Only an interactive session is asked (stdin or stderr on a terminal;
  // stdin may carry data, as in `backup --stdin`): a script never hangs.
  bool interactive = isatty(STDIN_FILENO) || isatty(STDERR_FILENO);
  if (!interactive || !PromptOnTerminal(what + ": ", first))
    throw Failure(std::string("no password given and no terminal to ask on: ") + how_to);
  if (first.empty()) throw Failure("the password is empty");
  if (confirm) {
    std::string second;
    PromptOnTerminal("Repeat " + what + ": ", second);
    if (first != second) throw Failure("the passwords do not match");
  }
  return first;
}

}  // namespace

std::string RepositoryPassword(const std::string& password_file, bool confirm) {
  if (!password_file.empty()) return ReadPasswordFile(password_file);
  if (const char* env = std::getenv("COFFER_PASSWORD"); env != nullptr && *env != '\0') return env;
  return Prompt(confirm ? "New repository password" : "Repository password", confirm,
                "set COFFER_PASSWORD or use --password-file FILE");
}

std::string NewPassword(const std::string& new_password_file) {
  if (!new_password_file.empty()) return ReadPasswordFile(new_password_file);
  if (const char* env = std::getenv("COFFER_NEW_PASSWORD"); env != nullptr && *env != '\0')
    return env;
  return Prompt("New password", /*confirm=*/true,
                "set COFFER_NEW_PASSWORD or use --new-password-file FILE");
}

std::string SourceRepositoryPassword(const std::string& password_file) {
  if (!password_file.empty()) return ReadPasswordFile(password_file);
  if (const char* env = std::getenv("COFFER_FROM_PASSWORD"); env != nullptr && *env != '\0') return env;
  return Prompt("Source repository password", false,
                "set COFFER_FROM_PASSWORD or use --from-password-file FILE");
}

uint64_t KdfArgs::ops_limit() const { return ops ? ops : coffer_default_kdf_ops_limit(); }
uint64_t KdfArgs::mem_limit_bytes() const { return memory_mib ? memory_mib << 20 : coffer_default_kdf_mem_limit(); }

void AddKdfOptions(CLI::App* sub, KdfArgs& kdf, const std::string& whose) {
  const std::string suffix = whose.empty() ? "" : " " + whose;
  sub->add_option("--kdf-memory", kdf.memory_mib,
                  "Advanced: Argon2id memory in MiB" + suffix + " (default " +
                      std::to_string(coffer_default_kdf_mem_limit() >> 20) + ")")
      ->check(CLI::Range(1, 4096))
      ->group("Advanced");
  sub->add_option("--kdf-ops", kdf.ops,
                  "Advanced: Argon2id passes" + suffix + " (default " +
                      std::to_string(coffer_default_kdf_ops_limit()) + ")")
      ->check(CLI::Range(1, 16))
      ->group("Advanced");
}

}  // namespace cli
