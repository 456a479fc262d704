#include "agent_jobs.h"

#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "cli.h"
#include "terminal.h"

namespace cli::agent {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

std::string ThisHost() {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

// The repository password: the config's password_file, else $COFFER_PASSWORD.
// A daemon cannot ask on a terminal.
std::string RepositoryPassword(const Config& config) {
  if (!config.password_file.empty()) {
    std::ifstream in(config.password_file);
    std::string line;
    if (!in || !std::getline(in, line))
      throw Failure("cannot read the repository password from " + config.password_file);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (const char* env = std::getenv("COFFER_PASSWORD"); env && *env) return env;
  throw Failure(
      "no repository password: set password_file in the agent config or $COFFER_PASSWORD");
}

// The library's job summary (coffer_job_summary) of an engine result.
nlohmann::json Summary(const std::string& kind, const std::string& result_json) {
  char* out = nullptr;
  coffer_error* err = nullptr;
  if (coffer_job_summary(kind.c_str(), result_json.c_str(), &out, &err) != COFFER_OK) {
    std::string message = coffer_error_message(err);
    coffer_error_free(err);
    return {{"kind", kind}, {"text", "no summary: " + message}};
  }
  nlohmann::json doc = nlohmann::json::parse(out);
  coffer_free(out);
  return doc;
}

bool HasKeepRule(const nlohmann::json& policy) {
  if (!policy.is_object() || !policy.contains("retention")) return false;
  for (auto it = policy["retention"].begin(); it != policy["retention"].end(); ++it) {
    if (it.key().rfind("keep_", 0) != 0) continue;
    const auto& v = it.value();
    if ((v.is_number() && v.get<int64_t>() != 0) ||
        (v.is_string() && !v.get<std::string>().empty()) || (v.is_array() && !v.empty()))
      return true;
  }
  return false;
}

}  // namespace

std::string AgentHost(const Config& config) {
  return config.host.empty() ? ThisHost() : config.host;
}

std::string NewJobId() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

JobRunner::JobRunner(const Config& config, ReportQueue& reports, std::atomic<bool>& stopping)
    : config_(config), reports_(reports), stopping_(stopping), host_(AgentHost(config)) {
  if (sodium_init() < 0) throw Failure("libsodium failed to initialise");
}

void JobRunner::Report(const nlohmann::json& job) {
  reports_.Push({{"type", "job"}, {"job", job}});
  std::string state = job.value("state", "");
  if (state == "succeeded" || state == "failed") {
    std::string text = job.contains("summary") ? job["summary"].value("text", "") : "";
    if (job.contains("error") && job["error"].is_string())
      text += (text.empty() ? "" : "; ") + job["error"].get<std::string>();
    std::fprintf(stderr, "coffer agent: %s job %s %s: %s\n", job.value("kind", "").c_str(),
                 job.value("id", "").substr(0, 8).c_str(), state.c_str(), text.c_str());
  }
}

std::string JobRunner::Location(const nlohmann::json& policy) const {
  std::string location = policy.is_object() ? policy.value("repository", "") : "";
  if (location.empty()) location = config_.repository;
  if (location.empty())
    throw Failure(
        "no repository: the policy names none and the agent config has no \"repository\"");
  return location;
}

coffer::api::Repo JobRunner::Open(const std::string& location) {
  std::string password = RepositoryPassword(config_);
  coffer::api::Repo repo = coffer::api::Repo::Open(location, password);
  sodium_memzero(password.data(), password.size());
  repo.set_lock_wait(600);  // a neighbour's prune should delay a backup, not fail it
  return repo;
}

void JobRunner::ReportStats(coffer::api::Repo& repo, const std::string& location) {
  nlohmann::json info = nlohmann::json::parse(repo.info());
  // A write-only key cannot read snapshots, so it cannot compute statistics;
  // an agent with a full key on the same repository reports them.
  if (info.value("write_only", false)) return;
  nlohmann::json stats =
      nlohmann::json::parse(repo.stats(nlohmann::json{{"hosts", {host_}}}.dump()));
  reports_.Push({{"type", "stats"},
                 {"time_ns", NowNs()},
                 {"host", host_},
                 {"repository", location},
                 {"repo_id", info.value("repo_id", "")},
                 {"stats", stats}});
}

nlohmann::json JobRunner::RunBackup(const std::string& job_id, const nlohmann::json& policy,
                                    const std::string& trigger) {
  if (!policy.is_object()) throw Failure("no policy assigned: nothing to back up");
  std::string location = Location(policy);
  coffer::api::BackupOptions options;
  options.apply_policy(policy.dump());
  options.host(host_);
  if (!config_.cache_dir.empty()) options.cache_dir(config_.cache_dir);
  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  int64_t started = NowNs();
  options.progress([&](const coffer::api::Progress& p) {
    auto now = std::chrono::steady_clock::now();
    if (now - last >= std::chrono::seconds(2)) {
      last = now;
      Report({{"id", job_id},
              {"kind", "backup"},
              {"state", "running"},
              {"trigger", trigger},
              {"started_ns", started},
              {"progress",
               {{"files_done", p.files_done},
                {"files_total", p.files_total},
                {"bytes_done", p.bytes_done},
                {"bytes_total", p.bytes_total},
                {"errors", p.errors}}}});
    }
    return !stopping_.load() && !Interrupted();
  });
  coffer::api::Repo repo = Open(location);
  std::string result = repo.backup(options);
  nlohmann::json summary = Summary("backup", result);
  nlohmann::json r = nlohmann::json::parse(result);
  Report({{"id", job_id},
          {"kind", "backup"},
          {"state", summary.value("ok", true) ? "succeeded" : "failed"},
          {"trigger", trigger},
          {"started_ns", started},
          {"ended_ns", NowNs()},
          {"summary", summary},
          {"snapshot_id", r.value("snapshot_id", "")},
          {"error", summary.value("ok", true) ? nlohmann::json(nullptr)
                                              : nlohmann::json("some files could not be read")}});
  // With a write-only key (issue: ransomware-resistant agents) retention is
  // not this agent's job: forget needs to read snapshots and delete them.
  // It runs where a full key is held (another agent or an administrator).
  const bool write_only = nlohmann::json::parse(repo.info()).value("write_only", false);
  if (HasKeepRule(policy) && !write_only) {
    std::string forget_id = NewJobId();
    int64_t t = NowNs();
    Report({{"id", forget_id},
            {"kind", "forget"},
            {"state", "running"},
            {"trigger", "retention"},
            {"started_ns", t}});
    try {
      std::string f = repo.forget(
          nlohmann::json{{"retention", policy["retention"]}, {"hosts", {host_}}}.dump());
      Report({{"id", forget_id},
              {"kind", "forget"},
              {"state", "succeeded"},
              {"trigger", "retention"},
              {"started_ns", t},
              {"ended_ns", NowNs()},
              {"summary", Summary("forget", f)}});
    } catch (const std::exception& e) {
      Report({{"id", forget_id},
              {"kind", "forget"},
              {"state", "failed"},
              {"trigger", "retention"},
              {"started_ns", t},
              {"ended_ns", NowNs()},
              {"error", e.what()}});
    }
  }
  ReportStats(repo, location);
  return summary;
}

void JobRunner::Run(const std::string& job_id, const std::string& kind, const std::string& trigger,
                    const nlohmann::json& policy, const nlohmann::json& request) {
  int64_t started = NowNs();
  nlohmann::json base = {
      {"id", job_id}, {"kind", kind}, {"trigger", trigger}, {"started_ns", started}};
  nlohmann::json running = base;
  running["state"] = "running";
  Report(running);
  try {
    if (kind == "backup") {
      RunBackup(job_id, policy, trigger);
      return;  // RunBackup reported the end
    }
    std::string location = Location(policy);
    coffer::api::Repo repo = Open(location);
    std::string result;
    if (kind == "restore") {
      coffer::api::RestoreOptions options;
      options.snapshot(request.value("snapshot", "latest"));
      options.target(request.value("target", ""));
      for (const auto& p : request.value("paths", nlohmann::json::array()))
        options.add_include(p.get<std::string>());
      options.overwrite(request.value("overwrite", false));
      auto last = std::chrono::steady_clock::now();
      options.progress([&](const coffer::api::Progress& p) {
        auto now = std::chrono::steady_clock::now();
        if (now - last >= std::chrono::seconds(1)) {
          last = now;
          nlohmann::json update = running;
          update["progress"] = {{"files_done", p.files_done},
                                {"files_total", p.files_total},
                                {"bytes_done", p.bytes_done},
                                {"bytes_total", p.bytes_total}};
          Report(update);
        }
        return !stopping_.load() && !Interrupted();
      });
      result = repo.restore(options);
    } else if (kind == "check") {
      result = repo.check();
    } else if (kind == "forget") {
      if (!HasKeepRule(policy))
        throw Failure("the policy has no retention rule: nothing to forget");
      result = repo.forget(
          nlohmann::json{{"retention", policy["retention"]}, {"hosts", {host_}}}.dump());
    } else if (kind == "prune") {
      result = repo.prune();
    } else {
      throw Failure("unknown job kind \"" + kind + "\"");
    }
    nlohmann::json summary = Summary(kind, result);
    nlohmann::json done = base;
    done["state"] = summary.value("ok", true) ? "succeeded" : "failed";
    done["ended_ns"] = NowNs();
    done["summary"] = summary;
    if (kind == "restore") done["snapshot_id"] = summary.value("snapshot_id", "");
    if (!summary.value("ok", true)) done["error"] = summary.value("text", "failed");
    Report(done);
    if (kind == "forget" || kind == "prune") ReportStats(repo, location);
  } catch (const std::exception& e) {
    nlohmann::json failed = base;
    failed["state"] = "failed";
    failed["ended_ns"] = NowNs();
    failed["error"] = e.what();
    Report(failed);
  }
}

void JobRunner::RefreshStats(const nlohmann::json& policy) {
  try {
    std::string location = Location(policy);
    coffer::api::Repo repo = Open(location);
    ReportStats(repo, location);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "coffer agent: cannot read the repository's statistics: %s\n", e.what());
  }
}

nlohmann::json JobRunner::Browse(const nlohmann::json& command, const nlohmann::json& policy) {
  std::lock_guard<std::mutex> lock(browse_mutex_);
  std::string type = command.value("type", "");
  auto attempt = [&]() -> nlohmann::json {
    std::string location = Location(policy);
    if (!browse_repo_ || browse_location_ != location) {
      browse_repo_.reset();
      browse_repo_.emplace(Open(location));
      browse_location_ = location;
    }
    if (type == "snapshots") return nlohmann::json::parse(browse_repo_->snapshots_list());
    if (type == "ls")
      return nlohmann::json::parse(browse_repo_->snapshot_ls(command.value("snapshot", "latest"),
                                                             command.value("path", "/"), false));
    throw Failure("unknown request \"" + type + "\"");
  };
  try {
    try {
      return {{"ok", true}, {"result", attempt()}};
    } catch (const coffer::api::Error&) {
      // The kept handle may predate the newest backup: retry once afresh.
      browse_repo_.reset();
      return {{"ok", true}, {"result", attempt()}};
    }
  } catch (const std::exception& e) {
    return {{"ok", false}, {"error", e.what()}};
  }
}

}  // namespace cli::agent
