#include <catch2/catch.hpp>

#include "engine/pattern.h"

using coffer::MatchPattern;

TEST_CASE("a pattern without a slash matches any path component") {
  CHECK(MatchPattern("*.tmp", "/home/a/x.tmp"));
  CHECK(MatchPattern("node_modules", "/src/node_modules/pkg/index.js"));
  CHECK_FALSE(MatchPattern("*.tmp", "/home/a/x.tmpl"));
  CHECK(MatchPattern("?.c", "/src/a.c"));
  CHECK_FALSE(MatchPattern("?.c", "/src/ab.c"));
}

TEST_CASE("a pattern with a slash matches from the root, and everything below a match") {
  CHECK(MatchPattern("/home/*/cache", "/home/ann/cache"));
  CHECK(MatchPattern("/home/*/cache", "/home/ann/cache/x/y"));
  CHECK_FALSE(MatchPattern("/home/*/cache", "/home/ann/b/cache"));
  CHECK(MatchPattern("/home/**/cache", "/home/ann/b/cache"));
  CHECK(MatchPattern("**/build", "/a/b/build/out.o"));
  CHECK(MatchPattern("/**/build", "/build"));
  CHECK_FALSE(MatchPattern("/var/log", "/var/logs"));
  CHECK_FALSE(MatchPattern("", "/x"));
}
