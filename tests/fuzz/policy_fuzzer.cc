// ParsePolicy on arbitrary JSON text: never crashes; a policy it accepts
// validates, its canonical JSON parses back to an equal policy, and its
// schedule's next run is computed within the search bound.
#include "absl/time/time.h"
#include "fuzz_support.h"
#include "policy/policy.h"

using namespace coffer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto policy = ParsePolicy(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!policy.ok()) return 0;
  FUZZ_CHECK(ValidatePolicy(*policy).ok());
  for (int indent : {-1, 2}) {
    auto again = ParsePolicy(PolicyToJson(*policy, indent));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *policy);
  }
  if (!policy->schedule.cron.empty()) {
    absl::Time after = absl::FromUnixSeconds(1767225600);  // 2026-01-01
    auto next = NextRun(policy->schedule, after);
    if (next.ok()) FUZZ_CHECK(*next > after);
  }
  return 0;
}
