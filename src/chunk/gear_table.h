// The chunkers' keyed table: 256 pseudo-random 64-bit values expanded from a
// per-repository secret (gear_table.cc, docs/FORMAT.md §8).
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace coffer {

struct GearTable {
  std::array<uint64_t, 256> values{};
  // Deterministic expansion of a 32-byte seed (e.g. a key derived from the
  // repository's ID key) into 256 pseudo-random 64-bit values.
  static GearTable FromSeed(ByteView seed);
};

}  // namespace coffer
