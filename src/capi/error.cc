#include "capi/error.h"

#include <cstring>

#include "absl/strings/match.h"

namespace coffer::capi {
namespace {

// The lock layer reports a conflicting lock as FailedPrecondition with this
// text; other FailedPrecondition errors are refusals (removing the key in
// use) or versions/algorithms this library does not understand.
constexpr std::string_view kLockedText = "repository is locked";

coffer_status FailedPreconditionCode(std::string_view message) {
  auto contains = [message](std::string_view text) { return message.find(text) != message.npos; };
  if (contains(kLockedText)) return COFFER_ERROR_LOCKED;
  if (contains("not supported") || contains("unsupported") || contains("unknown chunker algorithm"))
    return COFFER_ERROR_UNSUPPORTED;
  return COFFER_ERROR_INVALID_ARGUMENT;
}

}  // namespace

coffer_status StatusCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return COFFER_OK;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return COFFER_ERROR_INVALID_ARGUMENT;
    case absl::StatusCode::kNotFound:
      return COFFER_ERROR_NOT_FOUND;
    case absl::StatusCode::kAlreadyExists:
      return COFFER_ERROR_ALREADY_EXISTS;
    case absl::StatusCode::kUnauthenticated:
      // The repository's own refusal says "wrong password"; any other
      // Unauthenticated comes from a store whose service refused our
      // credentials, which a user fixes elsewhere (keys, tokens, SAS).
      return absl::StartsWith(std::string(status.message()), "wrong password")
                 ? COFFER_ERROR_WRONG_PASSWORD
                 : COFFER_ERROR_STORE_AUTH;
    case absl::StatusCode::kPermissionDenied:
      return COFFER_ERROR_PERMISSION_DENIED;
    case absl::StatusCode::kDataLoss:
      return COFFER_ERROR_CORRUPT;
    case absl::StatusCode::kFailedPrecondition:
      return FailedPreconditionCode(
          std::string_view(status.message().data(), status.message().size()));
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return COFFER_ERROR_IO;
    case absl::StatusCode::kCancelled:
      return COFFER_ERROR_CANCELLED;
    case absl::StatusCode::kUnimplemented:
      return COFFER_ERROR_UNSUPPORTED;
    case absl::StatusCode::kResourceExhausted:
      return COFFER_ERROR_NO_SPACE;
    default:
      return COFFER_ERROR_INTERNAL;
  }
}

coffer_status Fail(coffer_error** err, coffer_status code, std::string message) {
  if (err != nullptr) {
    // A failure to allocate the error object must not turn into an
    // exception here: the caller still gets the code.
    auto* e = new (std::nothrow) coffer_error;
    if (e != nullptr) {
      e->code = code;
      try {
        e->message = std::move(message);
      } catch (...) {
      }
    }
    *err = e;
  }
  return code;
}

coffer_status Fail(coffer_error** err, const absl::Status& status) {
  coffer_status code = StatusCodeFor(status);
  if (code == COFFER_OK) code = COFFER_ERROR_INTERNAL;  // a failure reported as OK is a bug
  std::string message = Cat(status.message());
  if (message.empty()) message = absl::StatusCodeToString(status.code());
  return Fail(err, code, std::move(message));
}

coffer_status NullArgument(coffer_error** err, std::string_view function, std::string_view name) {
  return Fail(err, COFFER_ERROR_INVALID_ARGUMENT, Cat(function, ": argument `", name, "` is NULL"));
}

}  // namespace coffer::capi

using coffer::capi::Guard;

extern "C" {

COFFER_API const char* coffer_status_name(coffer_status status_in) {
  // Callers may pass any integer; copying the bytes avoids loading an
  // out-of-range enum value (undefined behaviour in C++).
  int status;
  static_assert(sizeof(status) == sizeof(status_in));
  std::memcpy(&status, &status_in, sizeof(status));
  switch (status) {
    case COFFER_OK:
      return "COFFER_OK";
    case COFFER_ERROR_INVALID_ARGUMENT:
      return "COFFER_ERROR_INVALID_ARGUMENT";
    case COFFER_ERROR_NOT_FOUND:
      return "COFFER_ERROR_NOT_FOUND";
    case COFFER_ERROR_ALREADY_EXISTS:
      return "COFFER_ERROR_ALREADY_EXISTS";
    case COFFER_ERROR_WRONG_PASSWORD:
      return "COFFER_ERROR_WRONG_PASSWORD";
    case COFFER_ERROR_PERMISSION_DENIED:
      return "COFFER_ERROR_PERMISSION_DENIED";
    case COFFER_ERROR_CORRUPT:
      return "COFFER_ERROR_CORRUPT";
    case COFFER_ERROR_LOCKED:
      return "COFFER_ERROR_LOCKED";
    case COFFER_ERROR_IO:
      return "COFFER_ERROR_IO";
    case COFFER_ERROR_CANCELLED:
      return "COFFER_ERROR_CANCELLED";
    case COFFER_ERROR_UNSUPPORTED:
      return "COFFER_ERROR_UNSUPPORTED";
    case COFFER_ERROR_NO_SPACE:
      return "COFFER_ERROR_NO_SPACE";
    case COFFER_ERROR_INTERNAL:
      return "COFFER_ERROR_INTERNAL";
    case COFFER_ERROR_STORE_AUTH:
      return "COFFER_ERROR_STORE_AUTH";
  }
  return "COFFER_ERROR_UNKNOWN";
}

COFFER_API coffer_status coffer_error_code(const coffer_error* err) {
  return err != nullptr ? err->code : COFFER_ERROR_INTERNAL;
}

COFFER_API const char* coffer_error_message(const coffer_error* err) {
  return err != nullptr ? err->message.c_str() : "";
}

COFFER_API void coffer_error_free(coffer_error* err) { delete err; }

}  // extern "C"
