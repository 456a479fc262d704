// coffer.h included directly from C++17 (without coffer.hpp) must compile
// with strict warnings, give the functions C linkage, and link and run.
#define COFFER_EXPERIMENTAL
#include "coffer/coffer.h"

#include <cstdio>
#include <cstring>

int main() {
  static_assert(COFFER_VERSION_NUMBER >= 0, "a constant expression in C++");
  coffer_error* err = nullptr;
  coffer_status s = coffer_repo_open(nullptr, "pw", nullptr, &err);
  bool ok = s == COFFER_ERROR_INVALID_ARGUMENT && coffer_error_code(err) == s &&
            std::strcmp(coffer_version(), COFFER_VERSION_STRING) == 0;
  coffer_error_free(err);
  if (!ok) std::fprintf(stderr, "coffer.h from C++: unexpected result %s\n", coffer_status_name(s));
  return ok ? 0 : 1;
}
