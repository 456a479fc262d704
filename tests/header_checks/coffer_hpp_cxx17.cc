// coffer.hpp must compile as C++17 (its documented minimum) without
// warnings, and its error path must carry the library's message.
#include <cstdio>
#include <string>

#include "coffer/coffer.hpp"

int main() {
  try {
    coffer::api::Repo::Open("", "pw");
  } catch (const coffer::api::Error& e) {
    bool ok = e.code() == COFFER_ERROR_INVALID_ARGUMENT &&
              std::string(e.what()).find("empty") != std::string::npos;
    if (!ok) std::fprintf(stderr, "unexpected error: %s (%s)\n", e.what(), e.code_name());
    return ok ? 0 : 1;
  }
  std::fprintf(stderr, "opening \"\" succeeded\n");
  return 1;
}
