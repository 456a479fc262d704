# Precompiled headers. Most of a file's compile time here is spent parsing
# the same standard-library, Abseil, Catch2 and CLI11 headers again; CI builds
# the whole tree twice from cold (gcc, then clang with sanitizers) on two
# cores, so each group of targets that shares compile flags parses them once.
#
# A precompiled header is only valid for the flags it was built with, so a
# target reuses another's only when both get the same flags: the layer
# libraries share one, the unit tests without cpp-httplib share one, and the
# tests and programs that link cpp-httplib (which adds -D flags) have their
# own. Turn it off (-DCOFFER_PRECOMPILE_HEADERS=OFF) to check that every
# file includes what it uses.
option(COFFER_PRECOMPILE_HEADERS "Precompile the widely included third-party headers" ON)

set(COFFER_PCH_STANDARD
  <algorithm> <atomic> <chrono> <cstdint> <cstring> <filesystem> <functional> <map>
  <memory> <mutex> <optional> <string> <string_view> <thread> <utility> <vector>)
set(COFFER_PCH_ABSEIL
  <absl/container/flat_hash_map.h> <absl/container/flat_hash_set.h>
  <absl/status/status.h> <absl/status/statusor.h>
  <absl/strings/str_cat.h> <absl/strings/str_format.h>)
set(COFFER_PCH_LIBRARY ${COFFER_PCH_STANDARD} ${COFFER_PCH_ABSEIL})
set(COFFER_PCH_TESTS ${COFFER_PCH_STANDARD} ${COFFER_PCH_ABSEIL} <catch2/catch.hpp>)
# Not CLI11: its namespace-scope objects are built in every file that
# includes it, which cost the files that do not use it more than it saved.
set(COFFER_PCH_PROGRAMS ${COFFER_PCH_STANDARD} <nlohmann/json.hpp>)

# coffer_precompile_headers(<target> HEADERS <header>...)  its own
# coffer_precompile_headers(<target> REUSE_FROM <owner>)   the owner's
function(coffer_precompile_headers target mode)
  if(NOT COFFER_PRECOMPILE_HEADERS)
    return()
  endif()
  if(mode STREQUAL "REUSE_FROM")
    target_precompile_headers(${target} REUSE_FROM ${ARGN})
  elseif(mode STREQUAL "HEADERS")
    target_precompile_headers(${target} PRIVATE ${ARGN})
  else()
    message(FATAL_ERROR "coffer_precompile_headers: HEADERS or REUSE_FROM, not '${mode}'")
  endif()
endfunction()
