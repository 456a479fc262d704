// An in-memory store for tests and embedding experiments.
#pragma once

#include <memory>

#include "store/store.h"

namespace coffer {

std::unique_ptr<Store> NewMemoryStore();

}  // namespace coffer
