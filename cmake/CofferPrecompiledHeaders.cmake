# Precompiled headers. Much of a file's compile time here is spent parsing
# the same standard-library, Abseil and Catch2 headers again; CI builds the
# whole tree twice from cold (gcc, then clang with sanitizers) on two cores,
# so each group of targets that shares compile flags parses them once.
#
# A precompiled header is only valid for the flags it was built with, so a
# target reuses another's only when both get the same flags: the layer
# libraries share one, the unit tests without cpp-httplib share one, and
# unit_store, which links cpp-httplib (it adds -D flags), has its own. The
# programs are unity builds (below) and need none. Turn it off (-DCOFFER_PRECOMPILE_HEADERS=OFF) to check that every
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

# The programs (CLI, console, server) spend most of their compile time in
# the optimiser on the same CLI11, cpp-httplib and JSON code, emitted again
# in every file that includes them (CLI11's classes have virtual functions
# defined in its headers). Compiled as one translation unit each, they build
# in about a sixth of the CPU time (the CLI: 43 s instead of 20 files of about
# 16 s). Off: one file at a time, with the precompiled header above.
option(COFFER_UNITY_PROGRAMS "Compile each example program's files as one translation unit" ON)

function(coffer_speed_up_program_build target)
  if(COFFER_UNITY_PROGRAMS)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
  else()
    coffer_precompile_headers(${target} HEADERS ${COFFER_PCH_PROGRAMS})
  endif()
endfunction()
