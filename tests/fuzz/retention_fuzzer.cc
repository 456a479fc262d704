// ParseRetentionRules on arbitrary JSON text: never crashes; rules it accepts
// survive their canonical JSON, and EvaluateRetention decides every snapshot
// of a fixed history exactly once (with keep_last, keeping at least one).
#include "fuzz_support.h"
#include "policy/retention_json.h"

using namespace coffer;

namespace {

std::vector<SnapshotMeta> History() {
  std::vector<SnapshotMeta> out;
  int64_t t = 1735689600;  // 2025-01-01, then irregular steps over ~2 years
  for (int i = 0; i < 200; ++i) {
    t += 3600 * (1 + (i * 37) % 70);
    SnapshotMeta m;
    m.id = "s" + std::to_string(i);
    m.time_ns = t * 1000000000;
    m.host = i % 3 ? "laptop" : "server";
    m.paths = {i % 5 ? "/home" : "/etc"};
    if (i % 17 == 0) m.tags = {"keep"};
    out.push_back(m);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto rules = ParseRetentionRules(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!rules.ok()) return 0;
  FUZZ_CHECK(ValidateRetentionRules(*rules).ok());
  auto again = RetentionRulesFromJson(nlohmann::json::parse(RetentionRulesToJson(*rules).dump()));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *rules);
  static const std::vector<SnapshotMeta> history = History();
  auto decisions = EvaluateRetention(*rules, history);
  if (!decisions.ok()) return 0;
  FUZZ_CHECK(decisions->size() == history.size());
  size_t kept = 0;
  for (const RetentionDecision& d : *decisions) {
    kept += d.keep;
    FUZZ_CHECK(d.keep == !d.reasons.empty());
  }
  if (rules->keep_last != 0) FUZZ_CHECK(kept > 0);
  return 0;
}
