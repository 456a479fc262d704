// What the agent does for a job: backups (with retention and a storage
// report after), restores, checks, forget and prune, and the read-only
// browse requests. Every job is reported: start, progress, end, summary.
#pragma once

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent.h"
#include "coffer/coffer.hpp"

namespace cli::agent {

class JobRunner {
 public:
  JobRunner(const Config& config, ReportQueue& reports, std::atomic<bool>& stopping);

  // Runs a job: kind "backup", "check", "forget", "prune" or "restore"
  // (`request` holds the restore's snapshot, paths, target, overwrite).
  // `policy` is the policy in force (null: none). Never throws: failures
  // become failed jobs.
  void Run(const std::string& job_id, const std::string& kind, const std::string& trigger,
           const nlohmann::json& policy, const nlohmann::json& request);

  // Answers a browse request ("snapshots" or "ls") as {"ok", "result"} or
  // {"ok": false, "error"}.
  nlohmann::json Browse(const nlohmann::json& command, const nlohmann::json& policy);

  // Reports the repository's id and this host's statistics without a job,
  // so that an agent that has not backed up yet can be chosen as a restore
  // target for its repository. Failures are only logged.
  void RefreshStats(const nlohmann::json& policy);

  const std::string& host() const { return host_; }

 private:
  std::string Location(const nlohmann::json& policy) const;
  coffer::api::Repo Open(const std::string& location);
  nlohmann::json RunBackup(const std::string& job_id, const nlohmann::json& policy,
                           const std::string& trigger);
  void ReportStats(coffer::api::Repo& repo, const std::string& location);
  void Report(const nlohmann::json& job);

  const Config& config_;
  ReportQueue& reports_;
  std::atomic<bool>& stopping_;
  std::string host_;
  std::mutex browse_mutex_;
  std::optional<coffer::api::Repo> browse_repo_;
  std::string browse_location_;
};

// The host name the agent records on snapshots: the config's, else this machine's.
std::string AgentHost(const Config& config);

// A fresh random job id (hex).
std::string NewJobId();

}  // namespace cli::agent
