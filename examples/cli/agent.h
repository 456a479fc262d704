// The agent daemon (`coffer agent enroll`, `coffer agent run`): carries out
// what a coffer-console asks — runs backups on the policy's schedule, applies
// retention, restores, answers browse requests — and reports every job.
// It keeps working while the console is unreachable: the last known policy is
// in its state file and reports wait in a queue file until they are
// delivered.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cli::agent {

// The one configuration file (JSON, mode 0600 since it holds the agent's
// credential). Written by `coffer agent enroll`.
struct Config {
  std::string path;     // where it was read from
  std::string console;  // console URL, e.g. https://console:8443
  int64_t agent_id = 0;
  std::string credential;             // the agent's own secret, sent as a bearer token
  std::string host;                   // host name recorded on snapshots (default: this machine)
  std::string password_file;          // repository password (else $COFFER_PASSWORD)
  std::string repository;             // used when the policy names none
  std::string state_dir;              // state file and report queue
  std::string cache_dir;              // backup files cache (default: the library's)
  std::string ca_file;                // CA bundle for an HTTPS console (default: system)
  bool insecure_skip_verify = false;  // never by default; for test consoles only

  static Config Load(const std::string& path);
  void Save() const;
};

// The wall clock in nanoseconds since the Unix epoch (job and report times).
int64_t NowNs();

// The default config path: $COFFER_AGENT_CONFIG, else
// $XDG_CONFIG_HOME/coffer/agent.json (~/.config/coffer/agent.json).
std::string DefaultConfigPath();

// What survives restarts besides the config: the last policy the console
// sent and the schedule's progress.
struct State {
  std::string policy_tag = "";  // "" = never fetched
  nlohmann::json policy;        // null when the agent has no policy
  std::string policy_name;
  int64_t last_run_ns = 0;  // the scheduled time of the last run
  int64_t next_run_ns = 0;
  nlohmann::json current_job;  // {"id", "kind", "trigger", "started_ns"} while one runs

  static State Load(const std::string& path);
  void Save(const std::string& path) const;
};

// Reports waiting for delivery, one JSON document per line in a file, so that
// a console outage or an agent restart loses none.
class ReportQueue {
 public:
  explicit ReportQueue(std::string path);
  // Appends a report; a progress report replaces an undelivered progress
  // report of the same job.
  void Push(nlohmann::json report);
  // Up to `max` oldest reports.
  std::vector<nlohmann::json> Peek(size_t max);
  // Removes the first `n` reports Peek returned (they were delivered).
  void Drop(size_t n);
  size_t Size();

 private:
  void Rewrite();
  std::string path_;
  std::mutex mutex_;
  std::vector<nlohmann::json> items_;
};

// `coffer agent enroll`: trades a one-time token for a credential and writes
// the config. Returns the config written.
Config Enroll(const std::string& config_path, const std::string& console_url,
              const std::string& token, const Config& settings);

// `coffer agent run`: runs until SIGINT/SIGTERM. Returns the exit code.
int Run(const Config& config, bool once_verbose);

}  // namespace cli::agent
