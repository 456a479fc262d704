// The policy's "mirror" member: a replica location (see docs/POLICY.md).
#include <catch2/catch.hpp>

#include "policy/policy.h"

using namespace coffer;

TEST_CASE("a policy may name a mirror, which survives normalisation") {
  auto policy = ParsePolicy(R"({"repository": "s3://main/repo", "mirror": "azure://dr/repo"})");
  REQUIRE(policy.ok());
  CHECK(policy->mirror == "azure://dr/repo");
  std::string text = PolicyToJson(*policy, -1);
  CHECK(text.find(R"("repository":"s3://main/repo","mirror":"azure://dr/repo")") != std::string::npos);
  auto again = ParsePolicy(text);
  REQUIRE(again.ok());
  CHECK(*again == *policy);
  // Without one, the normalised form has none.
  CHECK(PolicyToJson(*ParsePolicy(R"({"name": "x"})"), -1).find("mirror") == std::string::npos);
  CHECK_FALSE(ParsePolicy(R"({"mirror": 3})").ok());
  CHECK_FALSE(ParsePolicy(R"({"mirror": ""})").ok());
}
