// Passwords come from a file, the environment or an echo-off prompt on the
// terminal, never from a command-line option (which other users can read in
// the process list).
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace cli {

// The repository password: --password-file FILE, else $COFFER_PASSWORD, else
// a prompt on the terminal (twice when `confirm`, for init). Throws
// cli::Failure when none is available or the two entries differ.
std::string RepositoryPassword(const std::string& password_file, bool confirm);

// A new password for key add / key passwd: --new-password-file FILE, else
// $COFFER_NEW_PASSWORD, else a prompt twice on the terminal.
std::string NewPassword(const std::string& new_password_file);

// The password of a second repository (copy --from-repo, init
// --copy-keys-from): --from-password-file FILE, else $COFFER_FROM_PASSWORD,
// else a prompt on the terminal.
std::string SourceRepositoryPassword(const std::string& password_file);

// Argon2id settings from --kdf-memory MiB and --kdf-ops N; 0 = the library's
// default.
struct KdfArgs {
  uint64_t memory_mib = 0;
  uint64_t ops = 0;

  bool given() const { return memory_mib != 0 || ops != 0; }
  // What to pass to the library: the given values, the defaults for the rest.
  uint64_t ops_limit() const;
  uint64_t mem_limit_bytes() const;
};

// --kdf-memory and --kdf-ops (the Advanced group) on `sub`, for the key slots
// it writes; `whose` ends the help ("for the first key"). The help shows the
// library's defaults.
void AddKdfOptions(CLI::App* sub, KdfArgs& kdf, const std::string& whose);

}  // namespace cli
