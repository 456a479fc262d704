// Commands from the console to agents, delivered over the agents' long
// polls: each agent has a queue; a poll returns at once when its queue has
// something, else waits for it. Browsing is a call: the administrator's
// request waits (briefly) for the agent's answer.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace console {

class Hub {
 public:
  // Queues a command {"id", "type", ...} for an agent and wakes its poll.
  void Send(int64_t agent_id, nlohmann::json command);
  // Waits up to `wait` for commands; returns those queued (possibly none).
  nlohmann::json Take(int64_t agent_id, std::chrono::milliseconds wait);
  // Wakes an agent's poll without a command (e.g. its policy changed).
  void Nudge(int64_t agent_id);

  // Sends a command and waits for the agent's answer (see Answer).
  // nullopt on timeout.
  std::optional<nlohmann::json> Call(int64_t agent_id, nlohmann::json command,
                                     std::chrono::milliseconds timeout);
  // An agent's answer to a call; false when nobody waits for it (late or
  // unknown). Only the agent the call went to may answer it.
  bool Answer(int64_t agent_id, const std::string& call_id, nlohmann::json answer);

  // Agents with a poll open right now.
  size_t Connected();
  bool IsConnected(int64_t agent_id);

  // Ends every wait (shutdown).
  void Close();

 private:
  struct Pending {
    int64_t agent_id;
    std::optional<nlohmann::json> answer;
  };
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int64_t, std::deque<nlohmann::json>> queues_;
  std::map<int64_t, int> polling_;
  std::map<int64_t, uint64_t> nudges_;
  std::map<std::string, Pending> calls_;
  bool closed_ = false;
};

}  // namespace console
