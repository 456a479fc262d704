#include "store/store_registry.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "store_conformance.h"
#include "support/temp_dir.h"
#include "support/tree_builder.h"

using namespace coffer;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<Store> Open(std::string_view location) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(location);
  INFO("OpenStore(\"" << location << "\"): " << store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

absl::Status OpenError(std::string_view location) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenStore(location);
  INFO("OpenStore(\"" << location << "\")");
  REQUIRE_FALSE(store.ok());
  return store.status();
}

}  // namespace

TEST_CASE("\"memory:\" opens a fresh memory store each time") {
  std::unique_ptr<Store> a = Open("memory:");
  std::unique_ptr<Store> b = Open("memory:");
  CHECK(a->Describe() == "memory store");
  COFFER_REQUIRE_OK(a->Put("config", AsBytes("a")));
  CHECK(b->Stat("config").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("\"memory:NAME\" stores share their objects by name") {
  std::unique_ptr<Store> x1 = Open("memory:registry-x");
  std::unique_ptr<Store> x2 = Open("memory:registry-x");
  std::unique_ptr<Store> y = Open("memory:registry-y");
  COFFER_REQUIRE_OK(x1->Put("config", AsBytes("x")));
  CHECK(ToString(*x2->Get("config")) == "x");
  CHECK(y->Stat("config").status().code() == absl::StatusCode::kNotFound);
  CHECK(x2->Describe() == "memory store registry-x");
}

TEST_CASE("a plain path or file:// URL opens a local store") {
  testing::TempDir dir;
  const std::string root = (dir / "repo").string();
  std::unique_ptr<Store> by_path = Open(root);
  CHECK(by_path->Describe() == "local store " + root);
  COFFER_REQUIRE_OK(by_path->Put("config", AsBytes("c")));
  CHECK(testing::ReadFile(dir / "repo/config") == "c");

  std::unique_ptr<Store> by_url = Open("file://" + root);
  CHECK(by_url->Describe() == "local store " + root);
  CHECK(ToString(*by_url->Get("config")) == "c");
  CHECK(Open("file://localhost" + root)->Describe() == "local store " + root);
  CHECK(Open("FILE://" + root)->Describe() == "local store " + root);
}

TEST_CASE("file:// URLs decode %-escapes") {
  CHECK(Open("file:///srv/my%20repo")->Describe() == "local store /srv/my repo");
  CHECK(OpenError("file:///srv/bad%zzescape").code() == absl::StatusCode::kInvalidArgument);
  CHECK(OpenError("file:///srv/cut%2").code() == absl::StatusCode::kInvalidArgument);
  absl::Status relative = OpenError("file://relative/path");
  CHECK(relative.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(relative.message()), Catch::Contains("absolute"));
}

TEST_CASE("a relative path is made absolute") {
  CHECK(Open("relative/repo")->Describe() ==
        "local store " + (fs::current_path() / "relative/repo").string());
  CHECK(Open("./repo/")->Describe() == "local store " + (fs::current_path() / "repo").string());
  // Text before "://" that is no scheme name is part of a path.
  CHECK(Open("/srv/odd://name")->Describe() == "local store /srv/odd:/name");
}

TEST_CASE("an empty location is InvalidArgument") {
  absl::Status s = OpenError("");
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()) == "repository location is empty");
}

TEST_CASE("an unknown scheme is InvalidArgument naming it and the supported ones") {
  absl::Status s = OpenError("xyz://user:secret@bucket/path");
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  const std::string message(s.message());
  CHECK_THAT(message, Catch::Contains("\"xyz://\""));
  CHECK_THAT(message, Catch::Contains("file://"));
  CHECK_THAT(message, Catch::Contains("memory:"));
  // The rest of a URL may hold credentials and is not echoed.
  CHECK_THAT(message, !Catch::Contains("secret"));
  CHECK_THAT(std::string(OpenError("Nope+1://x").message()), Catch::Contains("\"nope+1://\""));
}
