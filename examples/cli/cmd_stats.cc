// coffer stats: sizes, deduplication and compression of snapshots.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "format.h"

namespace cli {
namespace {

struct StatsArgs {
  std::vector<std::string> snapshots;
  std::vector<std::string> hosts, tags;
};

int RunStats(const Globals& globals, const StatsArgs& args) {
  coffer::api::Repo repo = OpenRepo(globals);
  nlohmann::json filter{{"hosts", args.hosts}, {"tags", args.tags}};
  if (!args.snapshots.empty()) filter["ids"] = args.snapshots;
  nlohmann::json s = ParseJson(repo.stats(filter.dump()));
  if (globals.json) {
    PrintJson(s);
    return kExitOk;
  }
  auto u = [&s](const char* key) { return s[key].get<uint64_t>(); };
  uint64_t logical = u("logical_bytes"), stored = u("stored_bytes");
  std::printf("Snapshots:         %llu\n", static_cast<unsigned long long>(u("snapshots")));
  std::printf("Files:             %llu in %llu directories\n",
              static_cast<unsigned long long>(u("files")),
              static_cast<unsigned long long>(u("dirs")));
  std::printf("Logical size:      %s\n", FormatBytes(logical).c_str());
  std::printf("Unique data:       %s in %llu blobs (deduplication %s)\n",
              FormatBytes(u("unique_bytes")).c_str(),
              static_cast<unsigned long long>(u("unique_blobs")),
              FormatRatio(s["dedup_ratio"].get<double>()).c_str());
  std::printf("Stored data:       %s (compression %s)\n", FormatBytes(stored).c_str(),
              FormatRatio(s["compression_ratio"].get<double>()).c_str());
  if (stored > 0)
    std::printf("Overall:           %s (logical / stored)\n",
                FormatRatio(static_cast<double>(logical) / static_cast<double>(stored)).c_str());
  std::printf("Repository size:   %s (all objects)\n", FormatBytes(u("repository_bytes")).c_str());
  return kExitOk;
}

}  // namespace

void AddStatsCommand(CLI::App& app, const Globals& globals, Command& command) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* sub = app.add_subcommand("stats", "Show sizes, deduplication and compression");
  sub->add_option("SNAPSHOT", args->snapshots, "Snapshots to count (default: all)");
  sub->add_option("--host", args->hosts, "Only snapshots of this host (repeatable)");
  sub->add_option("--tag", args->tags, "Only snapshots with this tag (repeatable)");
  sub->callback([&globals, &command, args] {
    command = [&globals, args] { return RunStats(globals, *args); };
  });
}

}  // namespace cli
