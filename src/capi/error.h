// The C boundary's error plumbing: the coffer_error object, the mapping from
// absl::Status to coffer_status, and Guard(), which every entry point runs
// its body in so that no C++ exception crosses into C.
#pragma once

#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "capi/cat.h"
#include "coffer/coffer.h"

struct coffer_error {
  coffer_status code = COFFER_ERROR_INTERNAL;
  std::string message;
};

namespace coffer::capi {

// absl canonical code (and, for FailedPrecondition, the message) → C status.
coffer_status StatusCodeFor(const absl::Status& status);

// Stores a new error in *err (when err is not NULL) and returns `code`.
coffer_status Fail(coffer_error** err, coffer_status code, std::string message);
// Fail() with the mapped code and the status's message.
coffer_status Fail(coffer_error** err, const absl::Status& status);

// Runs `body` (returning coffer_status); any exception becomes an error:
// std::bad_alloc → NO_SPACE ("out of memory"), anything else → INTERNAL.
template <typename Body>
coffer_status Guard(coffer_error** err, Body&& body) noexcept {
  try {
    return std::forward<Body>(body)();
  } catch (const std::bad_alloc&) {
    return Fail(err, COFFER_ERROR_NO_SPACE, "out of memory");
  } catch (const std::exception& e) {
    try {
      return Fail(err, COFFER_ERROR_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
      return COFFER_ERROR_INTERNAL;
    }
  } catch (...) {
    return Fail(err, COFFER_ERROR_INTERNAL, "internal error: unknown exception");
  }
}

// INVALID_ARGUMENT naming `name`, for a NULL required argument.
coffer_status NullArgument(coffer_error** err, std::string_view function, std::string_view name);

}  // namespace coffer::capi

// Names the entry point for messages; first statement of every entry point
// (inside its Guard lambda, __func__ would be "operator()").
#define COFFER_CAPI_ENTRY [[maybe_unused]] const char* const coffer_entry_ = __func__

// `if (!arg) return NullArgument(...)` for entry points (uses `err`).
#define COFFER_CAPI_REQUIRE(arg)                                                         \
  do {                                                                                   \
    if ((arg) == nullptr) return ::coffer::capi::NullArgument(err, coffer_entry_, #arg); \
  } while (0)
