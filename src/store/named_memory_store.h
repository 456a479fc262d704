// Named in-memory stores: every store opened under one name shares the same
// objects for the life of the process, like a directory on disk, so tests of
// the upper layers can open a "repository" twice ("memory:NAME").
#pragma once

#include <memory>
#include <string_view>

#include "store/store.h"

namespace coffer {

// Returns a handle on the process-wide memory store called `name`, creating
// it empty on first use. Its objects are never freed before the process ends.
std::unique_ptr<Store> OpenNamedMemoryStore(std::string_view name);

}  // namespace coffer
