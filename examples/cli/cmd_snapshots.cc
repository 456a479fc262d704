// coffer snapshots / ls / find: browsing the catalog.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "format.h"

namespace cli {
namespace {

struct FilterArgs {
  std::vector<std::string> hosts, tags, paths;
  nlohmann::json ToJson() const {
    return nlohmann::json{{"hosts", hosts}, {"tags", tags}, {"paths", paths}};
  }
};

std::string Join(const nlohmann::json& list, const char* sep) {
  std::string out;
  for (const auto& item : list) {
    if (!out.empty()) out += sep;
    out += item.get<std::string>();
  }
  return out;
}

int RunSnapshots(const Globals& globals, const FilterArgs& filter) {
  coffer::api::Repo repo = OpenRepo(globals);
  nlohmann::json list = ParseJson(repo.snapshots_list(filter.ToJson().dump()));
  if (globals.json) {
    PrintJson(list);
    return kExitOk;
  }
  Table table({"ID", "Time", "Host", "Tags", "Paths", "Size"},
              {false, false, false, false, false, true});
  for (const auto& s : list) {
    std::string id = s["short_id"].get<std::string>();
    if (s["partial"].get<bool>()) id += " (partial)";
    table.Add({id, FormatLocalTime(s["time_ns"].get<int64_t>()), s["host"].get<std::string>(),
               Join(s["tags"], ","), Join(s["paths"], ", "),
               FormatBytes(s["summary"]["bytes_total"].get<uint64_t>())});
  }
  if (!globals.quiet || !table.empty()) std::fputs(table.Render().c_str(), stdout);
  if (!globals.quiet) std::printf("%zu snapshot(s)\n", list.size());
  return kExitOk;
}

struct LsArgs {
  std::string snapshot;
  std::string path = "/";
  bool recursive = false;
};

int RunLs(const Globals& globals, const LsArgs& args) {
  coffer::api::Repo repo = OpenRepo(globals);
  nlohmann::json nodes = ParseJson(repo.snapshot_ls(args.snapshot, args.path, args.recursive));
  if (globals.json) {
    PrintJson(nodes);
    return kExitOk;
  }
  Table table({"Mode", "User", "Group", "Size", "Modified", "Path"},
              {false, false, false, true, false, false});
  for (const auto& n : nodes) {
    std::string type = n["type"].get<std::string>();
    std::string user = n["user"].get<std::string>();
    std::string group = n["group"].get<std::string>();
    if (user.empty()) user = std::to_string(n["uid"].get<uint64_t>());
    if (group.empty()) group = std::to_string(n["gid"].get<uint64_t>());
    std::string path = n["path"].get<std::string>();
    if (type == "symlink") path += " -> " + n.value("link_target", std::string());
    table.Add({FormatMode(type, n["mode"].get<uint32_t>()), user, group,
               type == "file" ? std::to_string(n["size"].get<uint64_t>()) : "",
               FormatLocalTime(n["mtime_ns"].get<int64_t>()), path});
  }
  std::fputs(table.Render().c_str(), stdout);
  return kExitOk;
}

struct FindArgs {
  std::string pattern;
  FilterArgs filter;
};

int RunFind(const Globals& globals, const FindArgs& args) {
  coffer::api::Repo repo = OpenRepo(globals);
  nlohmann::json matches = ParseJson(repo.find(args.pattern, args.filter.ToJson().dump()));
  if (globals.json) {
    PrintJson(matches);
    return kExitOk;
  }
  Table table({"Snapshot", "Time", "Type", "Size", "Path"}, {false, false, false, true, false});
  for (const auto& m : matches) {
    std::string type = m["type"].get<std::string>();
    table.Add({m["snapshot_id"].get<std::string>().substr(0, 8),
               FormatLocalTime(m["snapshot_time_ns"].get<int64_t>()), type,
               type == "file" ? FormatBytes(m["size"].get<uint64_t>()) : "",
               m["path"].get<std::string>()});
  }
  if (!table.empty()) std::fputs(table.Render().c_str(), stdout);
  if (!globals.quiet) std::printf("%zu match(es)\n", matches.size());
  return kExitOk;
}

void AddFilterOptions(CLI::App* sub, FilterArgs& filter, bool with_paths) {
  sub->add_option("--host", filter.hosts, "Only snapshots of this host (repeatable: any of them)");
  sub->add_option("--tag", filter.tags, "Only snapshots with this tag (repeatable: all of them)");
  if (with_paths)
    sub->add_option("--path", filter.paths, "Only snapshots that include this path (repeatable)");
}

}  // namespace

void AddSnapshotsCommands(CLI::App& app, const Globals& globals, Command& command) {
  auto filter = std::make_shared<FilterArgs>();
  CLI::App* snapshots = app.add_subcommand("snapshots", "List snapshots");
  AddFilterOptions(snapshots, *filter, /*with_paths=*/true);
  snapshots->callback([&globals, &command, filter] {
    command = [&globals, filter] { return RunSnapshots(globals, *filter); };
  });

  auto ls = std::make_shared<LsArgs>();
  CLI::App* ls_cmd = app.add_subcommand("ls", "List files in a snapshot");
  ls_cmd->add_option("SNAPSHOT", ls->snapshot, "Snapshot id, unique prefix, or 'latest'")
      ->required();
  ls_cmd->add_option("PATH", ls->path, "Path inside the snapshot (default /)");
  ls_cmd->add_flag("-r,--recursive", ls->recursive, "List everything below PATH");
  ls_cmd->callback(
      [&globals, &command, ls] { command = [&globals, ls] { return RunLs(globals, *ls); }; });

  auto find = std::make_shared<FindArgs>();
  CLI::App* find_cmd =
      app.add_subcommand("find", "Find files by name or path pattern in all snapshots");
  find_cmd->add_option("PATTERN", find->pattern, "e.g. '*.pdf' (names) or '/home/*/notes' (paths)")
      ->required();
  AddFilterOptions(find_cmd, find->filter, /*with_paths=*/false);
  find_cmd->callback([&globals, &command, find] {
    command = [&globals, find] { return RunFind(globals, *find); };
  });
}

}  // namespace cli
