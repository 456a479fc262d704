#include "hub.h"

#include "security.h"

namespace console {

void Hub::Send(int64_t agent_id, nlohmann::json command) {
  std::lock_guard<std::mutex> lock(mutex_);
  queues_[agent_id].push_back(std::move(command));
  changed_.notify_all();
}

void Hub::Nudge(int64_t agent_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  nudges_[agent_id] += 1;
  changed_.notify_all();
}

nlohmann::json Hub::Take(int64_t agent_id, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  polling_[agent_id] += 1;
  uint64_t nudges = nudges_[agent_id];
  changed_.wait_for(lock, wait, [&] {
    return closed_ || !queues_[agent_id].empty() || nudges_[agent_id] != nudges;
  });
  polling_[agent_id] -= 1;
  nlohmann::json out = nlohmann::json::array();
  for (auto& c : queues_[agent_id]) out.push_back(std::move(c));
  queues_[agent_id].clear();
  return out;
}

std::optional<nlohmann::json> Hub::Call(int64_t agent_id, nlohmann::json command,
                                        std::chrono::milliseconds timeout) {
  std::string id = RandomHex(12);
  command["id"] = id;
  std::unique_lock<std::mutex> lock(mutex_);
  calls_[id] = Pending{agent_id, std::nullopt};
  queues_[agent_id].push_back(std::move(command));
  changed_.notify_all();
  changed_.wait_for(lock, timeout, [&] { return closed_ || calls_[id].answer.has_value(); });
  std::optional<nlohmann::json> answer = std::move(calls_[id].answer);
  calls_.erase(id);
  if (!answer) {  // the agent never took it: do not deliver a stale request later
    auto& queue = queues_[agent_id];
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      if (it->value("id", "") == id) {
        queue.erase(it);
        break;
      }
    }
  }
  return answer;
}

bool Hub::Answer(int64_t agent_id, const std::string& call_id, nlohmann::json answer) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = calls_.find(call_id);
  if (it == calls_.end() || it->second.agent_id != agent_id || it->second.answer) return false;
  it->second.answer = std::move(answer);
  changed_.notify_all();
  return true;
}

size_t Hub::Connected() {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (auto& [id, count] : polling_) n += count > 0 ? 1 : 0;
  return n;
}

bool Hub::IsConnected(int64_t agent_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = polling_.find(agent_id);
  return it != polling_.end() && it->second > 0;
}

void Hub::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

}  // namespace console
