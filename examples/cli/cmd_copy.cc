// coffer copy: replicates snapshots from another repository into this one.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "format.h"
#include "password.h"

namespace cli {
namespace {

using nlohmann::json;

struct CopyArgs {
  std::string from_repo;
  std::string from_password_file;
  std::vector<std::string> snapshots;
};

int RunCopy(const Globals& globals, const CopyArgs& args) {
  coffer::api::Repo destination = OpenRepo(globals);
  coffer::api::Repo source =
      coffer::api::Repo::Open(args.from_repo, SourceRepositoryPassword(args.from_password_file));
  source.set_lock_wait(globals.lock_wait_seconds);
  json options = json::object();
  if (!args.snapshots.empty()) options["snapshots"] = args.snapshots;
  json result = ParseJson(destination.copy_from(source, options.dump()));
  if (globals.json) {
    PrintJson(result);
    return kExitOk;
  }
  if (globals.quiet) return kExitOk;
  for (const json& s : result["snapshots"]) {
    std::printf("%s %s -> %s\n", s["skipped"].get<bool>() ? "present" : "copied ",
                s["source_id"].get<std::string>().substr(0, 8).c_str(),
                s["id"].get<std::string>().substr(0, 8).c_str());
  }
  if (result["mode"] == "packs") {
    std::printf("%llu snapshot(s) copied, %llu already present; %llu pack(s), %s copied as they are\n",
                result["snapshots_copied"].get<unsigned long long>(),
                result["snapshots_skipped"].get<unsigned long long>(),
                result["packs_copied"].get<unsigned long long>(),
                FormatBytes(result["pack_bytes_copied"].get<uint64_t>()).c_str());
  } else {
    std::printf("%llu snapshot(s) copied, %llu already present; %llu blob(s), %s re-encrypted, "
                "%llu blob(s) already present\n",
                result["snapshots_copied"].get<unsigned long long>(),
                result["snapshots_skipped"].get<unsigned long long>(),
                result["blobs_copied"].get<unsigned long long>(),
                FormatBytes(result["blob_bytes_copied"].get<uint64_t>()).c_str(),
                result["blobs_present"].get<unsigned long long>());
  }
  return kExitOk;
}

}  // namespace

void AddCopyCommand(CLI::App& app, const Globals& globals, Command& command) {
  auto args = std::make_shared<CopyArgs>();
  CLI::App* sub = app.add_subcommand(
      "copy", "Copy snapshots (all, or the ones given) from another repository into this one");
  sub->add_option("--from-repo", args->from_repo,
                  "The repository to copy from (password: $COFFER_FROM_PASSWORD or "
                  "--from-password-file)")
      ->required();
  sub->add_option("--from-password-file", args->from_password_file,
                  "Read the password of --from-repo from the first line of FILE");
  sub->add_option("snapshots", args->snapshots, "Snapshots to copy: ids, prefixes or \"latest\"");
  sub->callback([&globals, &command, args] {
    command = [&globals, args] { return RunCopy(globals, *args); };
  });
}

}  // namespace cli
