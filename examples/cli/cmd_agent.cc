// coffer agent enroll | run | status: the agent daemon's command line.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "agent.h"
#include "cli.h"

namespace cli {
namespace {

struct AgentArgs {
  std::string config;
  std::string console;
  std::string token;
  bool force = false;
  agent::Config settings;
};

std::string ConfigPath(const AgentArgs& args) {
  return args.config.empty() ? agent::DefaultConfigPath() : args.config;
}

int RunEnroll(const AgentArgs& args) {
  std::string path = ConfigPath(args);
  if (args.console.empty() || args.token.empty())
    throw UsageError("agent enroll: --console URL and --token TOKEN are required");
  if (std::filesystem::exists(path) && !args.force)
    throw UsageError("an agent config exists already at " + path +
                     " (use --force to enroll again and replace it)");
  agent::Config settings = args.settings;
  if (!settings.password_file.empty())
    settings.password_file = std::filesystem::absolute(settings.password_file).string();
  agent::Config c = agent::Enroll(path, args.console, args.token, settings);
  std::printf(
      "enrolled as agent %lld; config written to %s\nstart the daemon with: coffer agent run%s\n",
      static_cast<long long>(c.agent_id), path.c_str(),
      args.config.empty() ? "" : (" --config " + path).c_str());
  return kExitOk;
}

int RunStatus(const Globals& globals, const AgentArgs& args) {
  agent::Config c = agent::Config::Load(ConfigPath(args));
  agent::State s = agent::State::Load((std::filesystem::path(c.state_dir) / "state.json").string());
  agent::ReportQueue q((std::filesystem::path(c.state_dir) / "reports.jsonl").string());
  nlohmann::json doc = {{"config", c.path},
                        {"console", c.console},
                        {"agent_id", c.agent_id},
                        {"state_dir", c.state_dir},
                        {"policy", s.policy},
                        {"policy_name", s.policy_name},
                        {"next_run_ns", s.next_run_ns},
                        {"queued_reports", q.Size()}};
  if (globals.json) {
    PrintJson(doc);
  } else {
    std::printf("agent %lld of %s\npolicy: %s\nqueued reports: %zu\n",
                static_cast<long long>(c.agent_id), c.console.c_str(),
                s.policy_name.empty() ? "(none)" : s.policy_name.c_str(), q.Size());
  }
  return kExitOk;
}

}  // namespace

void AddAgentCommands(CLI::App& app, const Globals& globals, Command& command) {
  auto args = std::make_shared<AgentArgs>();
  CLI::App* agent = app.add_subcommand(
      "agent", "Run as an agent of a coffer-console (enroll once, then run the daemon)");
  agent->require_subcommand(1);
  agent->add_option(
      "--config", args->config,
      "Agent config file (default $COFFER_AGENT_CONFIG or ~/.config/coffer/agent.json)");

  CLI::App* enroll = agent->add_subcommand(
      "enroll", "Enroll this machine with a one-time token made in the console");
  enroll->add_option("--console", args->console, "Console URL, e.g. https://console.example:8443")
      ->required();
  enroll->add_option("--token", args->token, "One-time enrollment token from the console")
      ->required();
  enroll->add_option("--host", args->settings.host,
                     "Host name for snapshots (default: this machine's)");
  enroll->add_option("--password-file", args->settings.password_file,
                     "Repository password file (else $COFFER_PASSWORD when the daemon runs); "
                     "it never leaves this machine");
  enroll->add_option("--repository", args->settings.repository,
                     "Repository to use when the policy names none");
  enroll->add_option("--state-dir", args->settings.state_dir,
                     "State and report queue directory (default: next to the config)");
  enroll->add_option("--cache-dir", args->settings.cache_dir, "Backup files cache directory");
  enroll->add_option("--ca-file", args->settings.ca_file,
                     "CA certificates to verify an HTTPS console");
  enroll->add_flag("--force", args->force, "Replace an existing agent config");
  enroll->callback([&command, args] { command = [args] { return RunEnroll(*args); }; });

  CLI::App* run = agent->add_subcommand(
      "run", "Run the agent daemon: follow the console's policy and commands until stopped");
  run->callback([&command, args] {
    command = [args] { return agent::Run(agent::Config::Load(ConfigPath(*args)), false); };
  });

  CLI::App* status = agent->add_subcommand("status", "Show the agent's config, policy and queue");
  status->callback([&globals, &command, args] {
    command = [&globals, args] { return RunStatus(globals, *args); };
  });
}

}  // namespace cli
