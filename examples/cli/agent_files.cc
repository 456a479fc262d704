// The agent's files: its config, its state and its report queue. Each is
// replaced atomically (write a temporary file, then rename) so a crash never
// leaves half a file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "agent.h"
#include "cli.h"

namespace cli::agent {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes `text` to `path` atomically with the given mode.
void WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw Failure("cannot write " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      throw Failure("cannot write " + tmp + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw Failure("cannot replace " + path + ": " + std::strerror(errno));
}

}  // namespace

std::string DefaultConfigPath() {
  if (const char* env = std::getenv("COFFER_AGENT_CONFIG"); env && *env) return env;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return std::string(xdg) + "/coffer/agent.json";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.config/coffer/agent.json";
}

Config Config::Load(const std::string& path) {
  std::string text = ReadFile(path);
  if (text.empty())
    throw UsageError("no agent config at " + path +
                     ": enroll first (coffer agent enroll --console URL --token TOKEN)");
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object()) throw Failure(path + ": not a JSON object");
  static const std::set<std::string> known = {
      "console",    "agent_id",  "credential", "host",    "password_file",
      "repository", "state_dir", "cache_dir",  "ca_file", "insecure_skip_verify"};
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (!known.count(it.key())) throw Failure(path + ": unknown setting \"" + it.key() + "\"");
  Config c;
  try {
    c.path = path;
    c.console = doc.value("console", "");
    c.agent_id = doc.value("agent_id", int64_t{0});
    c.credential = doc.value("credential", "");
    c.host = doc.value("host", "");
    c.password_file = doc.value("password_file", "");
    c.repository = doc.value("repository", "");
    c.state_dir = doc.value("state_dir", "");
    c.cache_dir = doc.value("cache_dir", "");
    c.ca_file = doc.value("ca_file", "");
    c.insecure_skip_verify = doc.value("insecure_skip_verify", false);
  } catch (const nlohmann::json::exception& e) {
    throw Failure(path + ": a setting has the wrong type: " + e.what());
  }
  if (c.console.empty() || c.credential.empty())
    throw Failure(path + ": \"console\" and \"credential\" are required (enroll again)");
  if (c.state_dir.empty())
    c.state_dir = (std::filesystem::path(path).parent_path() / "agent-state").string();
  return c;
}

void Config::Save() const {
  nlohmann::json doc = {{"console", console},
                        {"agent_id", agent_id},
                        {"credential", credential},
                        {"state_dir", state_dir}};
  if (!host.empty()) doc["host"] = host;
  if (!password_file.empty()) doc["password_file"] = password_file;
  if (!repository.empty()) doc["repository"] = repository;
  if (!cache_dir.empty()) doc["cache_dir"] = cache_dir;
  if (!ca_file.empty()) doc["ca_file"] = ca_file;
  if (insecure_skip_verify) doc["insecure_skip_verify"] = true;
  WriteFileAtomically(path, doc.dump(2) + "\n", 0600);
}

State State::Load(const std::string& path) {
  State s;
  nlohmann::json doc = nlohmann::json::parse(ReadFile(path), nullptr, false);
  if (!doc.is_object()) return s;  // none yet (or unreadable: start afresh)
  s.policy_tag = doc.value("policy_tag", "");
  s.policy = doc.value("policy", nlohmann::json());
  s.policy_name = doc.value("policy_name", "");
  s.last_run_ns = doc.value("last_run_ns", int64_t{0});
  s.next_run_ns = doc.value("next_run_ns", int64_t{0});
  s.current_job = doc.value("current_job", nlohmann::json());
  return s;
}

void State::Save(const std::string& path) const {
  nlohmann::json doc = {{"policy_tag", policy_tag},   {"policy", policy},
                        {"policy_name", policy_name}, {"last_run_ns", last_run_ns},
                        {"next_run_ns", next_run_ns}, {"current_job", current_job}};
  WriteFileAtomically(path, doc.dump(2) + "\n", 0600);
}

ReportQueue::ReportQueue(std::string path) : path_(std::move(path)) {
  std::istringstream in(ReadFile(path_));
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_object()) items_.push_back(std::move(doc));  // a torn last line is dropped
  }
}

namespace {

// A running job's report, whose successor makes it news no more.
std::string RunningJobId(const nlohmann::json& r) {
  if (r.value("type", "") != "job" || !r.contains("job")) return "";
  const nlohmann::json& j = r["job"];
  return j.value("state", "") == "running" ? j.value("id", "") : "";
}

}  // namespace

void ReportQueue::Push(nlohmann::json report) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string running = RunningJobId(report);
  if (!running.empty() && !items_.empty() && RunningJobId(items_.back()) == running) {
    items_.back() = std::move(report);  // a newer progress report replaces the undelivered one
    Rewrite();
    return;
  }
  items_.push_back(std::move(report));
  std::ofstream out(path_, std::ios::app | std::ios::binary);
  out << items_.back().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::vector<nlohmann::json> ReportQueue::Peek(size_t max) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = std::min(max, items_.size());
  return std::vector<nlohmann::json>(items_.begin(), items_.begin() + static_cast<long>(n));
}

void ReportQueue::Drop(size_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  n = std::min(n, items_.size());
  items_.erase(items_.begin(), items_.begin() + static_cast<long>(n));
  Rewrite();
}

size_t ReportQueue::Size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return items_.size();
}

void ReportQueue::Rewrite() {
  std::string text;
  for (size_t i = 0; i < items_.size(); ++i)
    text += items_[i].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  WriteFileAtomically(path_, text, 0600);
}

}  // namespace cli::agent
