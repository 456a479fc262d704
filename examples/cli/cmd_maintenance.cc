// coffer forget, prune, check, repair, unlock: the repository lifecycle.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli.h"
#include "format.h"

namespace cli {
namespace {

using nlohmann::json;

unsigned long long U(const json& j, const char* key) { return j.value(key, uint64_t{0}); }

// ---- forget -------------------------------------------------------------------

struct ForgetArgs {
  std::vector<std::string> snapshots;
  int keep_last = 0, keep_hourly = 0, keep_daily = 0, keep_weekly = 0, keep_monthly = 0, keep_yearly = 0;
  std::string keep_within, time_zone, policy_file;
  std::vector<std::string> keep_tags, hosts, tags, paths;
  bool dry_run = false, prune = false;
};

json RetentionFromArgs(const ForgetArgs& a) {
  if (!a.policy_file.empty()) {
    std::ifstream in(a.policy_file);
    if (!in) throw UsageError("cannot read policy file " + a.policy_file);
    std::stringstream text;
    text << in.rdbuf();
    json doc = json::parse(text.str(), nullptr, false);
    if (doc.is_discarded()) throw UsageError(a.policy_file + " is not valid JSON");
    // A whole policy, or just its retention object.
    return doc.contains("retention") ? doc["retention"] : doc;
  }
  json r = json::object();
  auto count = [&](const char* key, int n) {
    if (n != 0) r[key] = n;
  };
  count("keep_last", a.keep_last);
  count("keep_hourly", a.keep_hourly);
  count("keep_daily", a.keep_daily);
  count("keep_weekly", a.keep_weekly);
  count("keep_monthly", a.keep_monthly);
  count("keep_yearly", a.keep_yearly);
  if (!a.keep_within.empty()) r["keep_within"] = a.keep_within;
  if (!a.keep_tags.empty()) r["keep_tags"] = a.keep_tags;
  if (!a.time_zone.empty()) r["time_zone"] = a.time_zone;
  return r;
}

int RunPrune(const Globals& globals, coffer::api::Repo& repo, bool dry_run, double threshold);

int RunForget(const Globals& globals, const ForgetArgs& a) {
  json options{{"dry_run", a.dry_run}, {"hosts", a.hosts}, {"tags", a.tags}, {"paths", a.paths}};
  json retention = RetentionFromArgs(a);
  if (!retention.empty()) options["retention"] = retention;
  if (!a.snapshots.empty()) options["snapshots"] = a.snapshots;
  if (retention.empty() && a.snapshots.empty())
    throw UsageError("forget needs snapshot ids, --keep-* options or --policy FILE");
  coffer::api::Repo repo = OpenRepo(globals);
  json r = ParseJson(repo.forget(options.dump()));
  if (globals.json && !a.prune) {
    PrintJson(r);
    return kExitOk;
  }
  if (!globals.json) {
    std::string group;
    for (const json& d : r["decisions"]) {
      std::string g = d.value("group", "");
      if (g != group && !g.empty()) std::printf("%s\n", g.c_str()), group = g;
      std::string reasons;
      for (const json& x : d["reasons"]) reasons += (reasons.empty() ? "" : ", ") + x.get<std::string>();
      std::printf("  %s  %-6s %s\n", d["id"].get<std::string>().substr(0, 8).c_str(),
                  d["keep"].get<bool>() ? "keep" : "remove", reasons.c_str());
    }
    std::printf("%s %zu snapshot(s)\n", a.dry_run ? "would remove" : "removed", r["removed"].size());
  }
  if (a.prune) return RunPrune(globals, repo, a.dry_run, 0.25);
  return kExitOk;
}

// ---- prune --------------------------------------------------------------------

int RunPrune(const Globals& globals, coffer::api::Repo& repo, bool dry_run, double threshold) {
  json r = ParseJson(repo.prune(json{{"dry_run", dry_run}, {"repack_threshold", threshold}}.dump()));
  if (globals.json) {
    PrintJson(r);
    return kExitOk;
  }
  const char* verb = dry_run ? "would be" : "were";
  std::printf("Snapshots:       %llu\n", U(r, "snapshots"));
  std::printf("Packs:           %llu before; %llu %s deleted, %llu repacked into %llu, %llu leftover(s) removed\n",
              U(r, "packs_before"), U(r, "packs_deleted"), verb, U(r, "packs_repacked"), U(r, "packs_written"),
              U(r, "unindexed_packs_deleted"));
  std::printf("Blobs:           %llu used, %llu unused\n", U(r, "blobs_used"), U(r, "blobs_removed"));
  std::printf("Space:           %s %s freed (of %s)\n", FormatBytes(U(r, "bytes_freed")).c_str(),
              dry_run ? "would be" : "", FormatBytes(U(r, "bytes_before")).c_str());
  return kExitOk;
}

// ---- check --------------------------------------------------------------------

int RunCheck(const Globals& globals, bool read_data, const std::string& subset) {
  coffer::api::Repo repo = OpenRepo(globals);
  json options{{"read_data", read_data}};
  if (!subset.empty()) options["read_data_subset"] = subset;
  json r = ParseJson(repo.check(options.dump()));
  if (globals.json) {
    PrintJson(r);
    return r["ok"].get<bool>() ? kExitOk : kExitFailed;
  }
  std::printf("checked %llu snapshot(s), %llu tree(s), %llu blob reference(s), %llu pack(s)",
              U(r, "snapshots"), U(r, "trees"), U(r, "blobs"), U(r, "packs"));
  if (U(r, "packs_read") > 0)
    std::printf("; read %llu pack(s), %s", U(r, "packs_read"), FormatBytes(U(r, "bytes_read")).c_str());
  std::printf("\n");
  for (const json& n : r["notices"])
    std::printf("note: %s: %s\n", n["object"].get<std::string>().c_str(), n["message"].get<std::string>().c_str());
  for (const json& e : r["errors"])
    std::fprintf(stderr, "error: %s: %s\n", e["object"].get<std::string>().c_str(),
                 e["message"].get<std::string>().c_str());
  if (!r["damaged"].empty()) {
    std::fprintf(stderr, "damaged (cannot be restored in full):\n");
    for (const json& d : r["damaged"])
      std::fprintf(stderr, "  snapshot %s: %s\n", d["snapshot_id"].get<std::string>().substr(0, 8).c_str(),
                   d["path"].get<std::string>().c_str());
  }
  if (r["ok"].get<bool>()) {
    std::printf("no errors were found\n");
    return kExitOk;
  }
  std::fprintf(stderr, "%zu error(s) found; `coffer repair` rebuilds the index and saves what is readable\n",
               r["errors"].size());
  return kExitFailed;
}

// ---- repair -------------------------------------------------------------------

int RunRepair(const Globals& globals, bool dry_run) {
  coffer::api::Repo repo = OpenRepo(globals);
  json r = ParseJson(repo.repair(json{{"dry_run", dry_run}}.dump()));
  if (globals.json) {
    PrintJson(r);
    return kExitOk;
  }
  std::printf("read %llu pack(s): %llu blob(s) verified, %llu damaged blob(s) in %llu pack(s)\n",
              U(r, "packs_read"), U(r, "blobs_indexed"), U(r, "blobs_damaged"), U(r, "packs_damaged"));
  for (const json& s : r["repaired"]) {
    std::string new_id = s["new_id"].is_string() ? s["new_id"].get<std::string>().substr(0, 8) : "(dry run)";
    std::printf("snapshot %s %s %s; lost:\n", s["old_id"].get<std::string>().substr(0, 8).c_str(),
                dry_run ? "would be replaced" : "replaced by", new_id.c_str());
    for (const json& p : s["lost"]) std::printf("  %s\n", p.get<std::string>().c_str());
  }
  for (const json& u : r["unreadable_snapshots"])
    std::fprintf(stderr, "warning: unreadable snapshot: %s\n", u.get<std::string>().c_str());
  if (r["repaired"].empty()) std::printf("every snapshot is complete\n");
  return kExitOk;
}

// ---- unlock -------------------------------------------------------------------

int RunUnlock(const Globals& globals, bool remove_all) {
  coffer::api::Repo repo = OpenRepo(globals);
  json r = ParseJson(repo.unlock(remove_all));
  if (globals.json) {
    PrintJson(r);
    return kExitOk;
  }
  for (const json& l : r["locks"])
    std::printf("%s %s\n", l["removed"].get<bool>() ? "removed" : "kept   ",
                l["description"].get<std::string>().c_str());
  std::printf("removed %llu lock(s)\n", U(r, "removed"));
  return kExitOk;
}

}  // namespace

void AddMaintenanceCommands(CLI::App& app, const Globals& globals, Command& command) {
  auto f = std::make_shared<ForgetArgs>();
  CLI::App* forget = app.add_subcommand(
      "forget", "Remove snapshots by id or by a retention policy (data goes with prune)");
  forget->add_option("SNAPSHOT", f->snapshots, "Snapshots to remove (ids or unique prefixes)");
  forget->add_option("--keep-last", f->keep_last, "Keep the N newest snapshots (-1: all)");
  forget->add_option("--keep-hourly", f->keep_hourly, "Keep the newest snapshot of each of the last N hours");
  forget->add_option("--keep-daily", f->keep_daily, "... of each of the last N days");
  forget->add_option("--keep-weekly", f->keep_weekly, "... of each of the last N ISO weeks");
  forget->add_option("--keep-monthly", f->keep_monthly, "... of each of the last N months");
  forget->add_option("--keep-yearly", f->keep_yearly, "... of each of the last N years");
  forget->add_option("--keep-within", f->keep_within, "Keep every snapshot within DURATION of the newest (e.g. 7d, 36h)");
  forget->add_option("--keep-tag", f->keep_tags, "Keep every snapshot with this tag (repeatable)");
  forget->add_option("--time-zone", f->time_zone, "Time zone of the calendar buckets (default UTC)");
  forget->add_option("--policy", f->policy_file, "Take the retention rules from a policy JSON file");
  forget->add_option("--host", f->hosts, "Only snapshots of this host (repeatable)");
  forget->add_option("--tag", f->tags, "Only snapshots with this tag (repeatable)");
  forget->add_option("--path", f->paths, "Only snapshots of this path (repeatable)");
  forget->add_flag("-n,--dry-run", f->dry_run, "Show what would be removed and why; change nothing");
  forget->add_flag("--prune", f->prune, "Run prune afterwards");
  forget->callback([&globals, &command, f] { command = [&globals, f] { return RunForget(globals, *f); }; });

  auto p_dry = std::make_shared<bool>(false);
  auto p_threshold = std::make_shared<double>(0.25);
  CLI::App* prune = app.add_subcommand("prune", "Delete data no snapshot references (exclusive lock)");
  prune->add_flag("-n,--dry-run", *p_dry, "Show what would be deleted; change nothing");
  prune->add_option("--repack-threshold", *p_threshold,
                    "Repack a pack when at least this share of it is unused (default 0.25)")
      ->check(CLI::Range(0.01, 1.0));
  prune->callback([&globals, &command, p_dry, p_threshold] {
    command = [&globals, p_dry, p_threshold] {
      coffer::api::Repo repo = OpenRepo(globals);
      return RunPrune(globals, repo, *p_dry, *p_threshold);
    };
  });

  auto c_read = std::make_shared<bool>(false);
  auto c_subset = std::make_shared<std::string>();
  CLI::App* check = app.add_subcommand("check", "Verify the repository (exit 1 when damage is found)");
  check->add_flag("--read-data", *c_read, "Also download and verify every pack");
  check->add_option("--read-data-subset", *c_subset, "Verify a subset of packs: N% or k/n");
  check->callback([&globals, &command, c_read, c_subset] {
    command = [&globals, c_read, c_subset] { return RunCheck(globals, *c_read, *c_subset); };
  });

  auto r_dry = std::make_shared<bool>(false);
  CLI::App* repair = app.add_subcommand(
      "repair", "Rebuild the index from the packs and save what is readable of damaged snapshots");
  repair->add_flag("-n,--dry-run", *r_dry, "Report what would change; change nothing");
  repair->callback([&globals, &command, r_dry] { command = [&globals, r_dry] { return RunRepair(globals, *r_dry); }; });

  auto u_all = std::make_shared<bool>(false);
  CLI::App* unlock = app.add_subcommand("unlock", "Remove stale locks");
  unlock->add_flag("--remove-all", *u_all, "Remove every lock (only when no coffer process uses the repository)");
  unlock->callback([&globals, &command, u_all] { command = [&globals, u_all] { return RunUnlock(globals, *u_all); }; });
}

}  // namespace cli
