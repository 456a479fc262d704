#include "agent_dist.h"

#include <elf.h>
#include <sodium.h>
#include <sys/utsname.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "coffer/coffer.h"

namespace fs = std::filesystem;

namespace console {
namespace {

std::optional<fs::path> FirstRegularFile(const std::vector<fs::path>& candidates) {
  std::error_code ec;
  for (const auto& p : candidates)
    if (fs::is_regular_file(p, ec)) return fs::canonical(p, ec);  // follows the SONAME link
  return std::nullopt;
}

std::string Sha256File(const fs::path& path, uintmax_t& size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buf(1 << 20);
  size = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<size_t>(in.gcount());
    crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buf.data()), n);
    size += n;
  }
  if (in.bad()) throw std::runtime_error("cannot read " + path.string());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char hex[2 * sizeof digest + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// The machine a program is built for, spelled as `uname -m` prints it there.
std::string ElfArch(const fs::path& program) {
  Elf64_Ehdr header{};
  std::ifstream in(program, std::ios::binary);
  in.read(reinterpret_cast<char*>(&header), sizeof header);
  if (in && header.e_ident[EI_CLASS] == ELFCLASS64) {
    switch (header.e_machine) {
      case EM_X86_64:
        return "x86_64";
      case EM_AARCH64:
        return "aarch64";
      case EM_RISCV:
        return "riscv64";
      case EM_S390:
        return "s390x";
      case EM_PPC64:
        return header.e_ident[EI_DATA] == ELFDATA2LSB ? "ppc64le" : "ppc64";
      default:
        break;
    }
  }
  struct utsname u {};
  ::uname(&u);
  return u.machine;  // the console's own: the usual case of one build for both
}

}  // namespace

bool AgentDist::Locate(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::error_code ec;
  fs::path base = dir;
  if (base.empty()) base = fs::read_symlink("/proc/self/exe", ec).parent_path();
  base = fs::absolute(base, ec);
  auto program = FirstRegularFile({base / "coffer", base / "bin" / "coffer"});
  auto library =
      FirstRegularFile({base / kSoname, base / "lib" / kSoname, base.parent_path() / kSoname,
                        base.parent_path() / "lib" / kSoname});
  program_.clear();
  if (!program) {
    problem_ = "no coffer program in " + base.string() + " or " + (base / "bin").string();
  } else if (!library) {
    problem_ = std::string("no ") + kSoname + " in " + base.string() + ", " +
               (base / "lib").string() + ", " + base.parent_path().string() + " or " +
               (base.parent_path() / "lib").string();
  } else {
    program_ = *program;
    library_ = *library;
    arch_ = ElfArch(program_);
    problem_.clear();
  }
  files_.clear();
  return !program_.empty();
}

std::string AgentDist::Version() const {
  std::string name = library_.filename().string();
  std::string prefix = "libcoffer.so.";
  if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size()) return name.substr(prefix.size());
  return coffer_version();
}

std::vector<AgentFile> AgentDist::Files() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (program_.empty()) throw std::runtime_error(problem_);
  if (files_.empty()) {
    files_.push_back({"coffer", program_, "", 0, {}});
    files_.push_back({library_.filename().string(), library_, "", 0, {}});
  }
  for (auto& f : files_) {
    std::error_code ec;
    auto mtime = fs::last_write_time(f.path, ec);
    auto size = fs::file_size(f.path, ec);
    if (ec) throw std::runtime_error("cannot read " + f.path.string() + ": " + ec.message());
    if (f.sha256.empty() || mtime != f.mtime || size != f.size) {
      f.sha256 = Sha256File(f.path, f.size);
      f.mtime = mtime;
    }
  }
  return files_;
}

std::optional<fs::path> AgentDist::PathOf(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (program_.empty()) return std::nullopt;
  if (name == "coffer") return program_;
  if (name == library_.filename().string()) return library_;
  return std::nullopt;
}

}  // namespace console
