#include <catch2/catch.hpp>
#include <string>

#include "store/store.h"

using namespace coffer;

TEST_CASE("object names are relative '/'-separated paths") {
  for (const char* good : {"config", "data/3f/3fa2", "a/b/c/d", "...", "a/...b", ".hidden",
                           "x/.tmp", "x/tmp-1", "name with space", "emoji-🦀", "100%"}) {
    INFO(good);
    CHECK(ValidateObjectName(good).ok());
  }
}

TEST_CASE("malformed object names are InvalidArgument and the message quotes the name") {
  for (const char* bad : {"/abs", "a//b", "a/../b", "..", ".", "a/", "/", "./a", "a/.", "../x",
                          ".tmp-123", "data/.tmp-abc", "data/.tmp-"}) {
    INFO(bad);
    absl::Status s = ValidateObjectName(bad);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(s.message()), Catch::Contains(bad));
  }
  CHECK(ValidateObjectName("").code() == absl::StatusCode::kInvalidArgument);
  absl::Status nul = ValidateObjectName(std::string("a\0b", 3));
  CHECK(nul.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(nul.message()), Catch::Contains("NUL"));
}
