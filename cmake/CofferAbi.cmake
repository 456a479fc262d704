# ABI discipline for the shipped libraries.
#
# 1. The version macros in coffer.h must equal project(VERSION): checked here,
#    at configure time, so a release bump that forgets one of them fails
#    before anything is compiled (src/capi/version.cc checks it again with a
#    static_assert, and a ctest test compares macros and runtime function).
# 2. libcoffer.so exports exactly the C API: the object files are compiled
#    with hidden visibility, and the version script cmake/libcoffer.map makes
#    every symbol local except coffer_*, which also hides the template and
#    inline instantiations (std::, absl::) that hidden visibility alone lets
#    through. tests/abi/exported_symbols.py checks the result both ways.

file(READ ${PROJECT_SOURCE_DIR}/include/coffer/coffer.h _coffer_header)
foreach(part MAJOR MINOR PATCH)
  if(NOT _coffer_header MATCHES "#define COFFER_VERSION_${part} ([0-9]+)")
    message(FATAL_ERROR "include/coffer/coffer.h: no #define COFFER_VERSION_${part}")
  endif()
  set(_coffer_header_${part} ${CMAKE_MATCH_1})
endforeach()
set(COFFER_HEADER_VERSION
    "${_coffer_header_MAJOR}.${_coffer_header_MINOR}.${_coffer_header_PATCH}")
if(NOT COFFER_HEADER_VERSION VERSION_EQUAL PROJECT_VERSION)
  message(FATAL_ERROR "include/coffer/coffer.h declares version ${COFFER_HEADER_VERSION} but "
                      "project(VERSION) in CMakeLists.txt is ${PROJECT_VERSION}: update both")
endif()
unset(_coffer_header)

set(COFFER_VERSION_SCRIPT ${PROJECT_SOURCE_DIR}/cmake/libcoffer.map)
target_link_options(coffer_shared PRIVATE
  "LINKER:--version-script=${COFFER_VERSION_SCRIPT}"
  # Static archives linked into the library (a static Abseil, say) stay private.
  "LINKER:--exclude-libs,ALL")
if(NOT COFFER_SANITIZE AND NOT COFFER_BUILD_FUZZERS)
  # Every symbol the library uses must resolve at link time: an incomplete
  # libcoffer.so fails here, not in a customer's program. (Not with clang's
  # sanitizers, whose runtime is linked into the program, not the library.)
  target_link_options(coffer_shared PRIVATE "LINKER:--no-undefined")
endif()
set_property(TARGET coffer_shared APPEND PROPERTY LINK_DEPENDS ${COFFER_VERSION_SCRIPT})
