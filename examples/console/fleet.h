// The fleet as the administrator sees it: every agent with its policy,
// last job, storage and whether it is online and on schedule.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace console {

struct Console;

// One object per agent (revoked ones included, marked so):
//   {"id", "name", "host", "version", "os", "enrolled_ns", "last_seen_ns",
//    "online", "revoked", "policy_id", "policy_name", "schedule",
//    "next_run_ns", "overdue", "last_job": {...} or null,
//    "last_success_ns", "storage": {...} or null, "repository", "repo_id"}
nlohmann::json AgentsJson(Console& c);
std::optional<nlohmann::json> AgentJson(Console& c, int64_t agent_id);

// A policy document checked and normalised by the library
// (coffer_policy_validate); nullopt with `error` set when it is refused.
std::optional<nlohmann::json> ValidatePolicy(const nlohmann::json& policy, std::string& error);

}  // namespace console
