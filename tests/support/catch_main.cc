#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#include <cstdlib>

#include "support/temp_dir.h"

namespace {
// The library's default local caches live under $XDG_CACHE_HOME: tests keep
// theirs in a directory of their own, removed at exit, never in the user's.
struct IsolatedCacheHome {
  coffer::testing::TempDir dir;
  IsolatedCacheHome() { setenv("XDG_CACHE_HOME", dir.path().c_str(), 1); }
} isolated_cache_home;
}  // namespace
