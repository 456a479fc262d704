// Sets (or unsets, with nullptr) an environment variable for one scope and
// restores the old value after. Tests that use it must not run concurrently
// with others reading the same variable (Catch2 runs test cases one by one).
#pragma once

#include <stdlib.h>

#include <optional>
#include <string>

namespace coffer::testing {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace coffer::testing
