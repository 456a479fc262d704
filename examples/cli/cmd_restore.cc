// coffer restore: a snapshot (or parts of it) into a directory.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "format.h"
#include "terminal.h"

namespace cli {
namespace {

struct RestoreArgs {
  std::string snapshot;
  std::string target;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  bool overwrite = false;
};

int RunRestore(const Globals& globals, const RestoreArgs& args) {
  coffer::api::RestoreOptions options;
  options.snapshot(args.snapshot).target(args.target).overwrite(args.overwrite);
  for (const auto& i : args.includes) options.add_include(i);
  for (const auto& e : args.excludes) options.add_exclude(e);

  coffer::api::Repo repo = OpenRepo(globals);
  ProgressLine progress(!globals.quiet && !globals.json, "restoring");
  options.progress(progress.Callback());
  options.warning(PrintWarning);
  nlohmann::json result;
  try {
    result = ParseJson(repo.restore(options));
  } catch (const coffer::api::Error& e) {
    if (e.code() != COFFER_ERROR_ALREADY_EXISTS) throw;
    throw coffer::api::Error(e.code(),
                             std::string(e.what()) + " (use --overwrite to replace files)");
  }
  progress.Clear();

  if (globals.json) {
    PrintJson(result);
  } else if (!globals.quiet) {
    auto u = [&result](const char* key) {
      return static_cast<unsigned long long>(result[key].get<uint64_t>());
    };
    double duration = result["duration_seconds"].get<double>();
    std::printf("Restored snapshot %s to %s\n",
                result["snapshot_id"].get<std::string>().substr(0, 8).c_str(), args.target.c_str());
    std::printf("Files:     %llu (%llu dirs, %llu symlinks, %llu other)\n", u("files"), u("dirs"),
                u("symlinks"), u("other"));
    std::printf("Bytes:     %s\n", FormatBytes(u("bytes")).c_str());
    std::printf("Duration:  %s (%s)\n", FormatDuration(duration).c_str(),
                FormatRate(duration > 0 ? u("bytes") / duration : 0).c_str());
    if (u("errors") > 0)
      std::printf("Warnings:  %llu (metadata that could not be set)\n", u("errors"));
  }
  return kExitOk;
}

}  // namespace

void AddRestoreCommand(CLI::App& app, const Globals& globals, Command& command) {
  auto args = std::make_shared<RestoreArgs>();
  CLI::App* sub = app.add_subcommand("restore", "Restore a snapshot into a directory");
  sub->add_option("SNAPSHOT", args->snapshot, "Snapshot id, unique prefix, or 'latest'")
      ->required();
  sub->add_option("-t,--target", args->target, "Directory to restore into (created if missing)")
      ->required();
  sub->add_option("--include", args->includes,
                  "Restore only this path of the snapshot (repeatable)");
  sub->add_option("--exclude", args->excludes, "Skip paths matching PATTERN (repeatable)");
  sub->add_flag("--overwrite", args->overwrite, "Replace files that already exist in the target");
  sub->callback([&globals, &command, args] {
    command = [&globals, args] { return RunRestore(globals, *args); };
  });
}

}  // namespace cli
