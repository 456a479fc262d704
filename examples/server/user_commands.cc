#include "user_commands.h"

#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "users.h"

namespace server {
namespace {

// One line from the terminal with echo off; throws when there is none.
std::string PromptHidden(const std::string& prompt) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  struct termios saved;
  if (fd < 0 || ::tcgetattr(fd, &saved) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error(
        "no terminal to ask for the password: set COFFER_SERVER_USER_PASSWORD");
  }
  struct termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  (void)::write(fd, prompt.data(), prompt.size());
  ::tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string line;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') line += c;
  ::tcsetattr(fd, TCSAFLUSH, &saved);
  ::close(fd);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string NewPassword(const std::string& name) {
  if (const char* env = std::getenv("COFFER_SERVER_USER_PASSWORD"); env && *env) return env;
  std::string first = PromptHidden("password for " + name + ": ");
  if (PromptHidden("again: ") != first) throw std::runtime_error("the passwords differ");
  return first;
}

template <typename Body>
int Run(Body body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::cerr << "coffer-server: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int UserAdd(const UserCommandArgs& args) {
  return Run([&] {
    if (!ValidUserName(args.name)) {
      std::cerr << "coffer-server: user name \"" << args.name
                << "\" must be 1-64 of A-Z a-z 0-9 . _ - and not start with '.'\n";
      return 2;
    }
    std::vector<UserEntry> users = ReadUsersFile(args.users_file);
    for (const UserEntry& u : users)
      if (u.name == args.name)
        throw std::runtime_error("user " + args.name + " already exists in " + args.users_file +
                                 " (remove it first to set a new password)");
    std::string password = NewPassword(args.name);
    if (password.size() < 8) throw std::runtime_error("the password needs at least 8 characters");
    users.push_back({args.name, HashPassword(password)});
    sodium_memzero(password.data(), password.size());
    WriteUsersFile(args.users_file, users);
    std::cout << "added user " << args.name << " (repositories under /" << args.name << "/)\n";
    return 0;
  });
}

int UserRemove(const UserCommandArgs& args) {
  return Run([&] {
    std::vector<UserEntry> users = ReadUsersFile(args.users_file);
    auto it = std::find_if(users.begin(), users.end(),
                           [&](const UserEntry& u) { return u.name == args.name; });
    if (it == users.end())
      throw std::runtime_error("no user " + args.name + " in " + args.users_file);
    users.erase(it);
    WriteUsersFile(args.users_file, users);
    std::cout << "removed user " << args.name << " (the repositories under /" << args.name
              << "/ stay in the store)\n";
    return 0;
  });
}

int UserList(const UserCommandArgs& args) {
  return Run([&] {
    for (const UserEntry& u : ReadUsersFile(args.users_file)) std::cout << u.name << "\n";
    return 0;
  });
}

}  // namespace server
