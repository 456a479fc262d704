// Shared pieces of the coffer command line: global options, exit codes and
// the helpers every command uses to reach the repository.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "coffer/coffer.hpp"

namespace CLI {
class App;
}

namespace cli {

// Documented in `coffer --help` and the README; scripts depend on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,     // the operation failed (see the message)
  kExitUsage = 2,      // bad command line
  kExitPartial = 3,    // backup written, but some files could not be read
  kExitNotFound = 10,  // no repository at the location (or no such snapshot/path/key)
  kExitWrongPassword = 11,
  kExitLocked = 12,
  kExitStoreAuth = 13,  // the storage service refused the credentials
  kExitInterrupted = 130,  // SIGINT/SIGTERM
};

struct Globals {
  std::string repo;           // -r/--repo or $COFFER_REPOSITORY
  std::string password_file;  // --password-file
  bool json = false;
  bool quiet = false;
  int64_t lock_wait_seconds = 60;  // --lock-wait
  std::string mirror;         // --mirror or $COFFER_MIRROR: a replica location
};

// What the chosen subcommand will run; returns the exit code. Errors are
// thrown (coffer::api::Error or cli::UsageError) and mapped in main.
using Command = std::function<int()>;

// A command-line problem found after parsing (exit code 2).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Any other failure of the program itself (exit code 1).
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Each adds its subcommand(s) to `app`; parsing a subcommand sets `command`.
void AddInitCommand(CLI::App& app, const Globals& globals, Command& command);
void AddBackupCommand(CLI::App& app, const Globals& globals, Command& command);
void AddRestoreCommand(CLI::App& app, const Globals& globals, Command& command);
void AddSnapshotsCommands(CLI::App& app, const Globals& globals,
                          Command& command);  // snapshots, ls, find
void AddStatsCommand(CLI::App& app, const Globals& globals, Command& command);
void AddKeyCommands(CLI::App& app, const Globals& globals, Command& command);
void AddMaintenanceCommands(CLI::App& app, const Globals& globals,
                            Command& command);  // forget, prune, check, repair, unlock
void AddAgentCommands(CLI::App& app, const Globals& globals,
                      Command& command);  // agent enroll, agent run, agent status

void AddCopyCommand(CLI::App& app, const Globals& globals, Command& command);  // copy
void AddMirrorCommands(CLI::App& app, const Globals& globals,
                       Command& command);  // mirror sync, mirror status

// The repository location (UsageError when none was given).
std::string RepoLocation(const Globals& globals);
// Opens the repository (through the mirror store with --mirror) with the
// password from --password-file, $COFFER_PASSWORD or a prompt.
coffer::api::Repo OpenRepo(const Globals& globals);

// Prints one JSON document (pretty) on stdout.
void PrintJson(const nlohmann::json& doc);
// Parses a JSON document the library returned.
nlohmann::json ParseJson(const std::string& text);
// Prints "warning: PATH: MESSAGE" on stderr (clearing a progress line).
void PrintWarning(const std::string& path, const std::string& message);

}  // namespace cli
