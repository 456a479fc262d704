// coffer-server: keeps coffer repositories for agents that reach it over
// HTTP(S) (see docs/SERVER.md). Built only on coffer's public C API; it holds
// no repository keys and sees only encrypted objects.
//
//   coffer-server --store URL [--listen HOST:PORT] [--users FILE] [--append-only]
//                 [--tls-cert FILE --tls-key FILE]
//   coffer-server user add|remove|list ... --users FILE
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "coffer/coffer.h"
#include "server.h"
#include "user_commands.h"

namespace {

// "HOST:PORT" (IPv6 as "[::1]:PORT") into the options; false when malformed.
bool ParseListen(const std::string& text, server::ServerOptions& options) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    size_t used = 0;
    int port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port < 0 || port > 65535) return false;
    options.host = host;
    options.port = port;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "coffer-server: libsodium cannot start\n";
    return 1;
  }
  CLI::App app{
      "coffer-server: serves coffer repositories over HTTP(S), one per user path /NAME/.\n"
      "Exit codes: 0 stopped cleanly, 1 failure, 2 bad usage."};
  app.set_version_flag("--version", coffer_version());
  server::ServerOptions options;
  std::string listen = "127.0.0.1:8000";
  app.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--store", options.store,
                 "Where repositories are kept: a directory, file://, s3://, azure:// or gs:// URL");
  app.add_flag("--append-only", options.append_only,
               "Objects can be created but never overwritten or deleted (lock objects excepted)");
  app.add_option("--users", options.users_file,
                 "Users file (see `user add`); without it no logins are checked, which only a "
                 "loopback address allows");
  app.add_option("--tls-cert", options.tls_cert, "PEM certificate (chain) for HTTPS")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", options.tls_key, "PEM private key for HTTPS")
      ->check(CLI::ExistingFile);
  app.add_option("--threads", options.threads, "Requests served at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--max-failed-logins", options.max_failed_logins,
                 "Failed logins per client address and minute before it is refused (429)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  bool no_access_log = false;
  app.add_flag("--no-access-log", no_access_log, "Do not log each request on standard output");

  server::UserCommandArgs user_args;
  CLI::App* user = app.add_subcommand("user", "Manage the users file");
  user->require_subcommand(1);
  auto add_users_option = [&](CLI::App* cmd) {
    cmd->add_option("--users", user_args.users_file, "Users file")->required();
  };
  CLI::App* add = user->add_subcommand(
      "add", "Add a user (password from COFFER_SERVER_USER_PASSWORD or a prompt)");
  add->add_option("name", user_args.name, "User name, also its path /NAME/")->required();
  add_users_option(add);
  CLI::App* remove = user->add_subcommand("remove", "Remove a user");
  remove->add_option("name", user_args.name, "User name")->required();
  add_users_option(remove);
  CLI::App* list = user->add_subcommand("list", "List the users");
  add_users_option(list);

  CLI11_PARSE(app, argc, argv);
  if (add->parsed()) return server::UserAdd(user_args);
  if (remove->parsed()) return server::UserRemove(user_args);
  if (list->parsed()) return server::UserList(user_args);

  if (options.store.empty()) {
    std::cerr << "coffer-server: --store URL is required (a directory or a store URL)\n";
    return 2;
  }
  if (!ParseListen(listen, options)) {
    std::cerr << "coffer-server: --listen wants HOST:PORT, not \"" << listen << "\"\n";
    return 2;
  }
  options.access_log = !no_access_log;
  return server::RunServer(options);
}
