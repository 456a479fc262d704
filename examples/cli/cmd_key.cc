// coffer key add / list / remove / passwd: managing key slots.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli.h"
#include "format.h"
#include "password.h"

namespace cli {
namespace {

struct KeyArgs {
  std::string label;
  bool write_only = false;
  std::string new_password_file;
  std::string id;
  KdfArgs kdf;
};

void ApplyKdf(coffer::api::Repo& repo, const KeyArgs& args) {
  if (args.kdf.given()) repo.set_kdf(args.kdf.ops_limit(), args.kdf.mem_limit_bytes());
}

int RunKeyAdd(const Globals& globals, const KeyArgs& args) {
  coffer::api::Repo repo = OpenRepo(globals);
  ApplyKdf(repo, args);
  std::string id = repo.key_add(NewPassword(args.new_password_file), args.label, args.write_only);
  if (globals.json)
    PrintJson({{"id", id}, {"label", args.label}, {"write_only", args.write_only}});
  else if (!globals.quiet)
    std::printf("added %skey %s\n", args.write_only ? "write-only " : "", id.substr(0, 8).c_str());
  return kExitOk;
}

int RunKeyList(const Globals& globals) {
  coffer::api::Repo repo = OpenRepo(globals);
  nlohmann::json keys = ParseJson(repo.key_list());
  if (globals.json) {
    PrintJson(keys);
    return kExitOk;
  }
  Table table({" ", "ID", "Access", "User", "Host", "Label", "Created"});
  for (const auto& k : keys) {
    table.Add({k["current"].get<bool>() ? "*" : "", k["short_id"].get<std::string>(),
               k["write_only"].get<bool>() ? "write-only" : "full", k["user"].get<std::string>(),
               k["host"].get<std::string>(), k["label"].get<std::string>(),
               FormatLocalTime(k["created_unix"].get<int64_t>() * 1000000000)});
  }
  std::fputs(table.Render().c_str(), stdout);
  if (!globals.quiet) std::printf("* the key in use\n");
  return kExitOk;
}

int RunKeyRemove(const Globals& globals, const KeyArgs& args) {
  coffer::api::Repo repo = OpenRepo(globals);
  repo.key_remove(args.id);
  if (globals.json)
    PrintJson({{"removed", args.id}});
  else if (!globals.quiet)
    std::printf("removed key %s\n", args.id.c_str());
  return kExitOk;
}

int RunKeyPasswd(const Globals& globals, const KeyArgs& args) {
  coffer::api::Repo repo = OpenRepo(globals);
  ApplyKdf(repo, args);
  repo.key_change_password(NewPassword(args.new_password_file));
  nlohmann::json info = ParseJson(repo.info());
  if (globals.json)
    PrintJson({{"id", info["key_id"]}});
  else if (!globals.quiet)
    std::printf("password changed (key %s)\n",
                info["key_id"].get<std::string>().substr(0, 8).c_str());
  return kExitOk;
}

void AddNewPasswordOptions(CLI::App* sub, KeyArgs& args) {
  sub->add_option("--new-password-file", args.new_password_file,
                  "Read the new password from FILE (else $COFFER_NEW_PASSWORD or a prompt)");
  AddKdfOptions(sub, args.kdf, "");
}

}  // namespace

void AddKeyCommands(CLI::App& app, const Globals& globals, Command& command) {
  auto args = std::make_shared<KeyArgs>();
  CLI::App* key = app.add_subcommand("key", "Manage the repository's keys (passwords)");
  key->require_subcommand(1);

  CLI::App* add = key->add_subcommand("add", "Add a key with a new password");
  add->add_option("--label", args->label,
                  "A label for the key, e.g. the person or machine using it");
  add->add_flag("--write-only", args->write_only, "The key can add backups but cannot read any");
  AddNewPasswordOptions(add, *args);
  add->callback([&globals, &command, args] {
    command = [&globals, args] { return RunKeyAdd(globals, *args); };
  });

  CLI::App* list = key->add_subcommand("list", "List keys");
  list->callback([&globals, &command] { command = [&globals] { return RunKeyList(globals); }; });

  CLI::App* remove = key->add_subcommand("remove", "Remove a key");
  remove->add_option("ID", args->id, "Key id or a unique prefix (at least 4 hex digits)")
      ->required();
  remove->callback([&globals, &command, args] {
    command = [&globals, args] { return RunKeyRemove(globals, *args); };
  });

  CLI::App* passwd = key->add_subcommand("passwd", "Change the password of the key in use");
  AddNewPasswordOptions(passwd, *args);
  passwd->callback([&globals, &command, args] {
    command = [&globals, args] { return RunKeyPasswd(globals, *args); };
  });
}

}  // namespace cli
