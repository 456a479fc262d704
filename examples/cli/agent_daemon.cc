// `coffer agent run`: four threads share the work.
//   poller     long-polls the console: policy updates and commands
//   browser    answers browse requests (they must not wait for a backup)
//   sender     delivers queued reports, retrying while the console is away
//   main       runs jobs one at a time: scheduled backups and queued commands
#include <sys/utsname.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <thread>

#include "agent.h"
#include "agent_client.h"
#include "agent_jobs.h"
#include "cli.h"
#include "terminal.h"

namespace cli::agent {
namespace {

void Log(const char* format, const std::string& a = "", const std::string& b = "") {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(stderr, "%s coffer agent: ", stamp);
  std::fprintf(stderr, format, a.c_str(), b.c_str());
  std::fputc('\n', stderr);
}

// The library's schedule computation; 0 when the policy has no schedule.
int64_t NextRun(const nlohmann::json& policy, int64_t after_ns) {
  if (!policy.is_object() || !policy.contains("schedule")) return 0;
  int64_t next = 0;
  if (coffer_schedule_next_run(policy.dump().c_str(), after_ns, &next, nullptr) != COFFER_OK)
    return 0;
  return next;
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

struct PendingJob {
  std::string id, kind, trigger;
  nlohmann::json request;
};

class Daemon {
 public:
  explicit Daemon(const Config& config)
      : config_(config),
        state_path_((std::filesystem::path(config.state_dir) / "state.json").string()),
        reports_((std::filesystem::create_directories(config.state_dir),
                  (std::filesystem::path(config.state_dir) / "reports.jsonl").string())),
        runner_(config_, reports_, stopping_) {
    state_ = State::Load(state_path_);
  }

  int Run() {
    Log("agent %s (host %s) starting", std::to_string(config_.agent_id), runner_.host());
    if (state_.current_job.is_object()) {
      // The agent died during this job (killed, crashed, power lost): say so
      // rather than leave it running forever on the console.
      nlohmann::json job = state_.current_job;
      job["state"] = "failed";
      job["ended_ns"] = NowNs();
      job["error"] = "the agent stopped during the job (killed or crashed)";
      reports_.Push({{"type", "job"}, {"job", job}});
      Log("%s job %s was cut short by the agent stopping", job.value("kind", ""),
          job.value("id", ""));
      SetCurrentJob(nullptr);
    }
    if (!state_.policy_tag.empty())
      Log("last known policy: %s", state_.policy_name.empty() ? "(none)" : state_.policy_name);
    std::thread poller([this] { Poller(); });
    std::thread browser([this] { Browser(); });
    std::thread sender([this] { Sender(); });
    while (!stopping_) {
      if (Interrupted()) break;
      std::optional<PendingJob> job = NextJob();
      if (job) {
        nlohmann::json policy = Policy();
        if (job->kind == "stats") {
          runner_.RefreshStats(policy);
        } else {
          Log("%s job %s starting", job->kind, job->id);
          SetCurrentJob({{"id", job->id},
                         {"kind", job->kind},
                         {"trigger", job->trigger},
                         {"started_ns", NowNs()}});
          runner_.Run(job->id, job->kind, job->trigger, policy, job->request);
          SetCurrentJob(nullptr);
        }
        wake_.notify_all();  // the sender has news
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(250));
    }
    stopping_ = true;
    wake_.notify_all();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (poll_client_) poll_client_->Stop();
    }
    poller.join();
    browser.join();
    sender.join();
    Log("stopped%s", fatal_.empty() ? "" : ": " + fatal_);
    return fatal_.empty() ? kExitOk : kExitFailed;
  }

 private:
  nlohmann::json Policy() {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_.policy;
  }

  // A queued command first; else a scheduled backup when one is due.
  std::optional<PendingJob> NextJob() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!jobs_.empty()) {
      PendingJob j = std::move(jobs_.front());
      jobs_.pop_front();
      return j;
    }
    int64_t now = NowNs();
    if (state_.next_run_ns == 0) return std::nullopt;
    if (now < state_.next_run_ns) return std::nullopt;
    // Due (or missed while the agent was down: run once now, not once per
    // missed slot). The next slot is computed from now.
    state_.last_run_ns = state_.next_run_ns;
    state_.next_run_ns = NextRun(state_.policy, now);
    SaveState();
    return PendingJob{NewJobId(), "backup", "schedule", nullptr};
  }

  void SetCurrentJob(nlohmann::json job) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.current_job = std::move(job);
    SaveState();
  }

  void SaveState() {
    try {
      state_.Save(state_path_);
    } catch (const std::exception& e) {
      Log("cannot save the state: %s", e.what());
    }
  }

  void ApplyPolicy(const nlohmann::json& response) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_.policy_tag = response.value("policy_tag", "");
    state_.policy = response.value("policy", nlohmann::json());
    state_.policy_name = response.value("policy_name", "");
    state_.next_run_ns = NextRun(state_.policy, NowNs());
    SaveState();
    if (state_.policy.is_null()) {
      Log("no policy assigned");
    } else {
      std::string schedule = state_.policy.contains("schedule")
                                 ? state_.policy["schedule"].value("cron", "")
                                 : std::string("none");
      Log("policy \"%s\" applied (schedule %s)", state_.policy_name, schedule);
      jobs_.push_back({"", "stats", "policy", nullptr});  // the console learns the repository
    }
  }

  void Sleep(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, d, [this] { return stopping_.load(); });
  }

  void Poller() {
    int failures = 0;
    struct utsname u {};
    ::uname(&u);
    while (!stopping_) {
      std::string tag;
      std::shared_ptr<ConsoleClient> client;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        tag = state_.policy_tag;
        if (!poll_client_)
          poll_client_ =
              std::make_shared<ConsoleClient>(config_.console, config_.credential, config_.ca_file,
                                              config_.insecure_skip_verify, 40);
        client = poll_client_;
      }
      Response r = client->Get("/api/v1/agent/poll?wait=25&policy_tag=" + UrlEncode(tag) +
                               "&version=" + UrlEncode(coffer_version()) +
                               "&host=" + UrlEncode(runner_.host()));
      if (stopping_) break;
      if (r.status == 401 || r.status == 403) {
        fatal_ = "the console refused this agent (" + r.error + ")";
        Log("%s", fatal_);
        stopping_ = true;
        wake_.notify_all();
        break;
      }
      if (!r.ok() || !r.body.is_object()) {
        if (failures++ == 0) Log("console unreachable (%s): working offline, retrying", r.error);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          poll_client_.reset();  // a fresh connection next time
        }
        Sleep(std::chrono::milliseconds(std::min(15000, 500 << std::min(failures, 5))));
        continue;
      }
      if (failures > 0) Log("console reachable again");
      failures = 0;
      if (r.body.contains("policy")) ApplyPolicy(r.body);
      for (const auto& command : r.body.value("commands", nlohmann::json::array())) {
        std::string type = command.value("type", "");
        std::lock_guard<std::mutex> lock(mutex_);
        if (type == "run") {
          jobs_.push_back({command.value("job_id", NewJobId()), command.value("kind", "backup"),
                           "console", nullptr});
        } else if (type == "restore") {
          jobs_.push_back({command.value("job_id", NewJobId()), "restore", "console", command});
        } else if (type == "snapshots" || type == "ls") {
          browse_.push_back(command);
        }
      }
      wake_.notify_all();
    }
  }

  void Browser() {
    ConsoleClient client(config_.console, config_.credential, config_.ca_file,
                         config_.insecure_skip_verify, 30);
    while (!stopping_) {
      nlohmann::json command;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(500),
                       [this] { return stopping_.load() || !browse_.empty(); });
        if (browse_.empty()) continue;
        command = std::move(browse_.front());
        browse_.pop_front();
      }
      nlohmann::json answer = runner_.Browse(command, Policy());
      client.Post("/api/v1/agent/answers/" + command.value("id", ""), answer);
    }
  }

  void Sender() {
    ConsoleClient client(config_.console, config_.credential, config_.ca_file,
                         config_.insecure_skip_verify, 30);
    int failures = 0;
    while (true) {
      std::vector<nlohmann::json> batch = reports_.Peek(200);
      if (batch.empty()) {
        if (stopping_) break;
        Sleep(std::chrono::milliseconds(500));
        continue;
      }
      Response r = client.Post("/api/v1/agent/reports", {{"reports", batch}});
      if (r.ok()) {
        reports_.Drop(batch.size());
        if (failures > 0) Log("delivered %s queued report(s)", std::to_string(batch.size()));
        failures = 0;
        continue;
      }
      if (stopping_) break;  // the queue file keeps them for the next start
      if (failures++ == 0) Log("cannot deliver reports (%s): keeping them queued", r.error);
      Sleep(std::chrono::milliseconds(std::min(30000, 500 << std::min(failures, 6))));
    }
  }

  Config config_;
  std::string state_path_;
  ReportQueue reports_;
  std::atomic<bool> stopping_{false};
  JobRunner runner_;
  std::mutex mutex_;
  std::condition_variable wake_;
  State state_;
  std::deque<PendingJob> jobs_;
  std::deque<nlohmann::json> browse_;
  std::shared_ptr<ConsoleClient> poll_client_;
  std::string fatal_;
};

}  // namespace

Config Enroll(const std::string& config_path, const std::string& console_url,
              const std::string& token, const Config& settings) {
  ConsoleClient client(console_url, "", settings.ca_file, settings.insecure_skip_verify, 30);
  struct utsname u {};
  ::uname(&u);
  std::string host = AgentHost(settings);
  Response r = client.Post("/api/v1/agent/enroll",
                           {{"token", token},
                            {"host", host},
                            {"version", coffer_version()},
                            {"os", std::string(u.sysname) + " " + u.release + " " + u.machine}});
  if (!r.ok()) {
    if (r.status == 0) throw Failure("cannot reach the console at " + console_url + ": " + r.error);
    throw Failure("the console refused the enrollment: " + r.error);
  }
  Config c = settings;
  c.path = config_path;
  c.console = console_url;
  c.agent_id = r.body.value("agent_id", int64_t{0});
  c.credential = r.body.value("credential", "");
  if (c.credential.empty()) throw Failure("the console sent no credential");
  if (c.state_dir.empty())
    c.state_dir = (std::filesystem::path(config_path).parent_path() / "agent-state").string();
  c.Save();
  return c;
}

int Run(const Config& config, bool) {
  Daemon daemon(config);
  return daemon.Run();
}

}  // namespace cli::agent
