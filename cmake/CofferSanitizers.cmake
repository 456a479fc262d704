# Sanitizer and fuzzer builds (both off by default).
#
#   -DCOFFER_SANITIZE=address,undefined   every target built and linked with
#       -fsanitize=<list>; any report aborts the program (no recovery).
#   -DCOFFER_BUILD_FUZZERS=ON             the libFuzzer targets in tests/fuzz
#       (Clang only). The whole build is then instrumented for coverage
#       (-fsanitize=fuzzer-no-link) so the fuzzers see inside the library, and
#       COFFER_SANITIZE defaults to address,undefined.
#
# .ci/sanitize builds both in one clang build directory (build-asan).
set(COFFER_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined (empty: none)")
option(COFFER_BUILD_FUZZERS "Build the libFuzzer targets in tests/fuzz (needs Clang)" OFF)

if(COFFER_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "COFFER_BUILD_FUZZERS needs Clang for libFuzzer; configure with "
                        "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT COFFER_SANITIZE)
    set(COFFER_SANITIZE "address,undefined" CACHE STRING "" FORCE)
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(COFFER_SANITIZE)
  add_compile_options(-fsanitize=${COFFER_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${COFFER_SANITIZE})
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    # C programs on libcoffer.so need the C++ parts of the runtimes (UBSan's
    # vptr and function checks) and libstdc++, which clang links only for C++.
    add_link_options("$<$<LINK_LANGUAGE:C>:-fsanitize-link-c++-runtime;-lstdc++>")
  endif()
endif()
