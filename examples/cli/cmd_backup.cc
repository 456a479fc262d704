// coffer backup: files, directories and/or stdin into a new snapshot.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "format.h"
#include "terminal.h"

namespace cli {
namespace {

struct BackupArgs {
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  std::string host;
  bool from_stdin = false;
  std::string stdin_filename = "stdin";
  bool no_cache = false;
  std::string cache_dir;
  bool one_file_system = false;
  int threads = 0;
};

// A signal interrupts read() but is not a read error: retry, and let the
// progress callback (called as data flows) cancel the backup.
int64_t ReadStdin(uint8_t* buf, size_t cap) {
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, cap);
    if (n >= 0) return n;
    if (errno != EINTR) return -1;
  }
}

void PrintSummary(const nlohmann::json& r) {
  const nlohmann::json& s = r["summary"];
  auto u = [&s](const char* key) { return s[key].get<uint64_t>(); };
  double duration = s["duration_seconds"].get<double>();
  std::printf("Files:     %llu new, %llu changed, %llu unchanged\n",
              static_cast<unsigned long long>(u("files_new")),
              static_cast<unsigned long long>(u("files_changed")),
              static_cast<unsigned long long>(u("files_unchanged")));
  std::printf("Dirs:      %llu\n", static_cast<unsigned long long>(u("dirs")));
  std::printf("Read:      %s of %s\n", FormatBytes(u("bytes_read")).c_str(),
              FormatBytes(u("bytes_total")).c_str());
  std::printf("Added:     %s to the repository (stored %s)\n",
              FormatBytes(u("bytes_added")).c_str(), FormatBytes(u("bytes_added_stored")).c_str());
  // Throughput over everything the snapshot covers (unchanged files are
  // skipped, not read, and that speed is the point of the files cache).
  const uint64_t files = u("files_new") + u("files_changed") + u("files_unchanged");
  std::printf("Duration:  %s (%s covered, %.0f files/s)\n", FormatDuration(duration).c_str(),
              FormatRate(duration > 0 ? u("bytes_total") / duration : 0).c_str(),
              duration > 0 ? files / duration : 0.0);
  std::printf("snapshot %s saved%s\n", r["short_id"].get<std::string>().c_str(),
              r["partial"].get<bool>() ? " (partial)" : "");
}

int RunBackup(const Globals& globals, const BackupArgs& args) {
  if (args.paths.empty() && !args.from_stdin)
    throw UsageError("backup: give at least one PATH, or --stdin");
  coffer::api::BackupOptions options;
  for (const auto& p : args.paths) options.add_path(p);
  for (const auto& t : args.tags) options.add_tag(t);
  for (const auto& i : args.includes) options.add_include(i);
  for (const auto& e : args.excludes) options.add_exclude(e);
  if (!args.host.empty()) options.host(args.host);
  if (!args.cache_dir.empty()) options.cache_dir(args.cache_dir);
  options.files_cache(!args.no_cache).one_file_system(args.one_file_system).threads(args.threads);
  if (args.from_stdin) options.add_stream(args.stdin_filename, ReadStdin);  // "/" is implied

  coffer::api::Repo repo = OpenRepo(globals);
  ProgressLine progress(!globals.quiet && !globals.json, "backing up");
  options.progress(progress.Callback());
  options.warning(PrintWarning);
  nlohmann::json result = ParseJson(repo.backup(options));
  progress.Clear();

  bool partial = result["partial"].get<bool>();
  if (globals.json) {
    PrintJson(result);
  } else if (!globals.quiet) {
    PrintSummary(result);
  }
  if (partial) {
    std::fprintf(stderr, "warning: %zu file(s) could not be read; snapshot %s is partial\n",
                 result["errors"].size(), result["short_id"].get<std::string>().c_str());
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace

void AddBackupCommand(CLI::App& app, const Globals& globals, Command& command) {
  auto args = std::make_shared<BackupArgs>();
  CLI::App* sub = app.add_subcommand("backup", "Back up files and directories into a new snapshot");
  sub->add_option("PATH", args->paths, "Files or directories to back up");
  sub->add_option("--tag", args->tags, "Tag the snapshot (repeatable)");
  sub->add_option("--include", args->includes,
                  "Back up only files matching PATTERN, and the directories leading to them (repeatable)");
  sub->add_option("--exclude", args->excludes,
                  "Skip paths matching PATTERN (repeatable; *, ** and ?; no '/' matches names)");
  sub->add_option("--host", args->host, "Host name recorded on the snapshot (default: this host)");
  sub->add_flag("--stdin", args->from_stdin, "Back up standard input as a file");
  sub->add_option(
      "--stdin-filename", args->stdin_filename,
      "Path of the --stdin file inside the snapshot, e.g. /db/app.sql (default: /stdin)");
  sub->add_flag("--no-cache", args->no_cache, "Read every file (do not trust the files cache)");
  sub->add_option("--cache-dir", args->cache_dir,
                  "Directory of the local caches: files cache and index cache (default ~/.cache/coffer)");
  sub->add_flag("--one-file-system", args->one_file_system, "Do not cross file system boundaries");
  sub->add_option("--threads", args->threads, "Worker threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  sub->callback([&globals, &command, args] {
    command = [&globals, args] { return RunBackup(globals, *args); };
  });
}

}  // namespace cli
