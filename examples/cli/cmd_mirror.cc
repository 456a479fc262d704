// coffer mirror sync / status: the replica of a repository opened with --mirror.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli.h"
#include "format.h"

namespace cli {
namespace {

using nlohmann::json;

coffer::api::Repo OpenMirrored(const Globals& globals) {
  if (globals.mirror.empty())
    throw UsageError("no replica given: use --mirror LOCATION or set COFFER_MIRROR");
  return OpenRepo(globals);
}

int RunSync(const Globals& globals) {
  coffer::api::Repo repo = OpenMirrored(globals);
  json r = ParseJson(repo.mirror_sync());
  if (globals.json) {
    PrintJson(r);
  } else if (!globals.quiet) {
    std::printf("replica up to date: %llu journaled change(s) repeated, %llu object(s) (%s) copied, "
                "%llu deleted, %llu checked\n",
                r["journal_entries"].get<unsigned long long>(), r["objects_copied"].get<unsigned long long>(),
                FormatBytes(r["bytes_copied"].get<uint64_t>()).c_str(),
                r["objects_deleted"].get<unsigned long long>(), r["objects_checked"].get<unsigned long long>());
    if (r["extra_on_replica"].get<uint64_t>() > 0)
      std::printf("note: %llu object(s) exist only on the replica (left alone)\n",
                  r["extra_on_replica"].get<unsigned long long>());
  }
  return kExitOk;
}

int RunStatus(const Globals& globals) {
  coffer::api::Repo repo = OpenMirrored(globals);
  json r = ParseJson(repo.mirror_status());
  if (globals.json) {
    PrintJson(r);
  } else if (!globals.quiet) {
    std::printf("replica %s: %llu change(s) waiting for `coffer mirror sync`\n",
                r["replica"].get<std::string>().c_str(), r["pending"].get<unsigned long long>());
  }
  return kExitOk;
}

}  // namespace

void AddMirrorCommands(CLI::App& app, const Globals& globals, Command& command) {
  CLI::App* mirror = app.add_subcommand("mirror", "The replica of a repository opened with --mirror");
  mirror->require_subcommand(1);
  CLI::App* sync = mirror->add_subcommand(
      "sync", "Bring the replica up to date: repeat journaled writes, copy what it lacks");
  sync->callback([&globals, &command] { command = [&globals] { return RunSync(globals); }; });
  CLI::App* status = mirror->add_subcommand("status", "How many changes wait for `mirror sync`");
  status->callback([&globals, &command] { command = [&globals] { return RunStatus(globals); }; });
}

}  // namespace cli
