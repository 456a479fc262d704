// Helpers shared by the commands: repository access and output.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "password.h"
#include "terminal.h"

namespace cli {

std::string RepoLocation(const Globals& globals) {
  if (globals.repo.empty())
    throw UsageError("no repository given: use -r/--repo LOCATION or set COFFER_REPOSITORY");
  return globals.repo;
}

coffer::api::Repo OpenRepo(const Globals& globals) {
  std::string location = RepoLocation(globals);
  std::string password = RepositoryPassword(globals.password_file, false);
  coffer::api::Repo repo = globals.mirror.empty()
                               ? coffer::api::Repo::Open(location, password)
                               : coffer::api::Repo::OpenMirrored(location, globals.mirror, password);
  repo.set_lock_wait(globals.lock_wait_seconds);
  return repo;
}

void PrintJson(const nlohmann::json& doc) {
  std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

nlohmann::json ParseJson(const std::string& text) { return nlohmann::json::parse(text); }

void PrintWarning(const std::string& path, const std::string& message) {
  if (Interrupted()) return;  // files the cancellation cut short are no news
  ClearActiveProgressLine();
  std::fprintf(stderr, "warning: %s: %s\n", path.c_str(), message.c_str());
}

}  // namespace cli
