// Helpers to build file trees for tests and compare two trees byte for byte
// and metadata field by field.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace coffer::testing {

// Writes `content` to `path`, creating parent directories.
void WriteFile(const std::filesystem::path& path, std::string_view content);
std::string ReadFile(const std::filesystem::path& path);
// Deterministic pseudo-random bytes (xorshift) for a given seed.
Bytes RandomBytes(size_t size, uint64_t seed);

// Returns a list of human-readable differences between two trees (empty when
// they match): file types, contents, modes, owners, mtimes (ns), symlink
// targets, user xattrs, hardlink structure and sparse allocation.
std::vector<std::string> CompareTrees(const std::filesystem::path& a,
                                      const std::filesystem::path& b);

}  // namespace coffer::testing
