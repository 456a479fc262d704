// Which snapshots an operation applies to: by host, tags and paths.
#pragma once

#include <string>
#include <vector>

#include "repo/snapshot.h"

namespace coffer {

struct SnapshotFilter {
  std::vector<std::string> hosts;  // any of these (empty: any)
  std::vector<std::string> tags;   // all of these
  std::vector<std::string> paths;  // all of these among the snapshot's paths
  bool Matches(const Snapshot& snapshot) const;
};

}  // namespace coffer
