// coffer — the command-line program, built only on the public C API
// (through coffer.hpp). Each subcommand lives in a cmd_*.cc file.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli.h"
#include "terminal.h"

namespace {

constexpr const char* kFooter = R"(Repository and password:
  The repository is -r/--repo or $COFFER_REPOSITORY (a local path or a URL).
  The password is read from --password-file FILE, else $COFFER_PASSWORD,
  else asked for on the terminal. It is never taken from the command line.
  A coffer-server repository (http(s)://HOST:PORT/NAME) takes its login from
  $COFFER_HTTP_USER and $COFFER_HTTP_PASSWORD; --cacert FILE (or
  $COFFER_CACERT) trusts a private CA for https.

Exit codes:
  0    success
  1    the operation failed (see the message)
  2    usage error (bad command line: unknown option, missing argument)
  3    backup finished but some files could not be read (partial snapshot written)
  10   repository does not exist / not found (also: no such snapshot, path or key)
  11   wrong password
  12   repository is locked
  13   the storage service refused the credentials (cloud key, SAS, token,
       coffer-server login)
  130  interrupted (SIGINT/SIGTERM))";

int ExitCodeFor(coffer_status status) {
  switch (status) {
    case COFFER_ERROR_NOT_FOUND:
      return cli::kExitNotFound;
    case COFFER_ERROR_WRONG_PASSWORD:
      return cli::kExitWrongPassword;
    case COFFER_ERROR_LOCKED:
      return cli::kExitLocked;
    case COFFER_ERROR_STORE_AUTH:
      return cli::kExitStoreAuth;
    case COFFER_ERROR_CANCELLED:
      return cli::Interrupted() ? cli::kExitInterrupted : cli::kExitFailed;
    default:
      return cli::kExitFailed;
  }
}

int PrintError(const std::string& message, int code) {
  cli::ClearActiveProgressLine();
  std::fprintf(stderr, "coffer: error: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"coffer: encrypted, deduplicating backups", "coffer"};
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("coffer ") + coffer::api::Version());
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  cli::Globals globals;
  app.add_option("-r,--repo", globals.repo,
                 "Repository location: a local path, s3://BUCKET/PREFIX, "
                 "azure://CONTAINER/PREFIX, gs://BUCKET/PREFIX or a coffer-server "
                 "https://HOST:PORT/NAME, credentials from the usual variables (see README)")
      ->envname("COFFER_REPOSITORY");
  app.add_option("--mirror", globals.mirror,
                 "A replica location: every object is also written there, failed replica "
                 "writes are journaled for `coffer mirror sync`, and reads fall back to it "
                 "when the repository's store is down")
      ->envname("COFFER_MIRROR");
  app.add_option("--password-file", globals.password_file,
                 "Read the repository password from the first line of FILE");
  std::string cacert;
  app.add_option("--cacert", cacert,
                 "PEM file of the CA certificates to trust for https:// stores (a private CA); "
                 "the same as $COFFER_CACERT")
      ->check(CLI::ExistingFile);
  app.add_flag("--json", globals.json, "Print one JSON document on stdout instead of text");
  app.add_flag("-q,--quiet", globals.quiet, "Print only errors and warnings");
  app.add_option("--lock-wait", globals.lock_wait_seconds,
                 "Seconds to wait for another process's conflicting repository lock "
                 "before failing with exit code 12")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();

  cli::Command command;
  cli::AddInitCommand(app, globals, command);
  cli::AddBackupCommand(app, globals, command);
  cli::AddRestoreCommand(app, globals, command);
  cli::AddSnapshotsCommands(app, globals, command);
  cli::AddStatsCommand(app, globals, command);
  cli::AddMaintenanceCommands(app, globals, command);
  cli::AddKeyCommands(app, globals, command);
  cli::AddAgentCommands(app, globals, command);
  cli::AddCopyCommand(app, globals, command);
  cli::AddMirrorCommands(app, globals, command);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    PrintError(e.what(), cli::kExitUsage);
    std::fprintf(stderr, "Run 'coffer --help' (or 'coffer COMMAND --help') for usage.\n");
    return cli::kExitUsage;
  }
  if (!command) return PrintError("no command given", cli::kExitUsage);
  // The stores read their CA bundle from the environment (COFFER_CACERT).
  if (!cacert.empty()) ::setenv("COFFER_CACERT", cacert.c_str(), 1);

  cli::InstallSignalHandlers();
  try {
    return command();
  } catch (const coffer::api::Error& e) {
    return PrintError(e.what(), ExitCodeFor(e.code()));
  } catch (const cli::UsageError& e) {
    return PrintError(e.what(), cli::kExitUsage);
  } catch (const std::exception& e) {
    return PrintError(e.what(), cli::Interrupted() ? cli::kExitInterrupted : cli::kExitFailed);
  }
}
