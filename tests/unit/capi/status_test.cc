// Status mapping, status names, error objects and version functions.
#include "absl/status/status.h"

#include <cstring>

#include "capi/error.h"
#include "capi_test_util.h"

using coffer::capi::StatusCodeFor;

TEST_CASE("absl status codes map one-to-one to coffer_status") {
  CHECK(StatusCodeFor(absl::OkStatus()) == COFFER_OK);
  CHECK(StatusCodeFor(absl::InvalidArgumentError("x")) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(StatusCodeFor(absl::OutOfRangeError("x")) == COFFER_ERROR_INVALID_ARGUMENT);
  CHECK(StatusCodeFor(absl::NotFoundError("x")) == COFFER_ERROR_NOT_FOUND);
  CHECK(StatusCodeFor(absl::AlreadyExistsError("x")) == COFFER_ERROR_ALREADY_EXISTS);
  CHECK(StatusCodeFor(absl::UnauthenticatedError("wrong password: none of the 2 key slot(s)")) ==
        COFFER_ERROR_WRONG_PASSWORD);
  CHECK(StatusCodeFor(absl::UnauthenticatedError(
            "S3 store s3://b/p: S3 rejected the credentials: SignatureDoesNotMatch")) ==
        COFFER_ERROR_STORE_AUTH);
  CHECK(StatusCodeFor(absl::PermissionDeniedError("x")) == COFFER_ERROR_PERMISSION_DENIED);
  CHECK(StatusCodeFor(absl::DataLossError("x")) == COFFER_ERROR_CORRUPT);
  CHECK(StatusCodeFor(absl::UnavailableError("x")) == COFFER_ERROR_IO);
  CHECK(StatusCodeFor(absl::DeadlineExceededError("x")) == COFFER_ERROR_IO);
  CHECK(StatusCodeFor(absl::AbortedError("x")) == COFFER_ERROR_IO);
  CHECK(StatusCodeFor(absl::CancelledError("x")) == COFFER_ERROR_CANCELLED);
  CHECK(StatusCodeFor(absl::UnimplementedError("x")) == COFFER_ERROR_UNSUPPORTED);
  CHECK(StatusCodeFor(absl::ResourceExhaustedError("x")) == COFFER_ERROR_NO_SPACE);
  CHECK(StatusCodeFor(absl::InternalError("x")) == COFFER_ERROR_INTERNAL);
  CHECK(StatusCodeFor(absl::UnknownError("x")) == COFFER_ERROR_INTERNAL);
}

TEST_CASE("FailedPrecondition maps by meaning: lock conflicts, unsupported versions, refusals") {
  CHECK(StatusCodeFor(absl::FailedPreconditionError(
            "repository is locked: locked exclusively by pid 42 on host h")) ==
        COFFER_ERROR_LOCKED);
  CHECK(StatusCodeFor(absl::FailedPreconditionError(
            "acquiring lock: repository is locked: shared lock by pid 1")) == COFFER_ERROR_LOCKED);
  CHECK(StatusCodeFor(absl::FailedPreconditionError(
            "repository format version 9 is not supported")) == COFFER_ERROR_UNSUPPORTED);
  CHECK(StatusCodeFor(absl::FailedPreconditionError("key slot: unsupported version")) ==
        COFFER_ERROR_UNSUPPORTED);
  CHECK(StatusCodeFor(absl::FailedPreconditionError("refusing to remove the key slot in use")) ==
        COFFER_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("status names are stable constants") {
  CHECK(std::strcmp(coffer_status_name(COFFER_OK), "COFFER_OK") == 0);
  CHECK(std::strcmp(coffer_status_name(COFFER_ERROR_WRONG_PASSWORD),
                    "COFFER_ERROR_WRONG_PASSWORD") == 0);
  CHECK(std::strcmp(coffer_status_name(COFFER_ERROR_INTERNAL), "COFFER_ERROR_INTERNAL") == 0);
  CHECK(std::strcmp(coffer_status_name(static_cast<coffer_status>(999)), "COFFER_ERROR_UNKNOWN") ==
        0);
  // The numbers are ABI.
  CHECK(COFFER_ERROR_INVALID_ARGUMENT == 1);
  CHECK(COFFER_ERROR_LOCKED == 7);
  CHECK(COFFER_ERROR_INTERNAL == 12);
  CHECK(COFFER_ERROR_STORE_AUTH == 13);
  CHECK(std::strcmp(coffer_status_name(COFFER_ERROR_STORE_AUTH), "COFFER_ERROR_STORE_AUTH") == 0);
}

TEST_CASE("error objects carry code and message; NULL is harmless") {
  coffer_error* err = nullptr;
  CHECK(coffer::capi::Fail(&err, absl::NotFoundError("no snapshot matches \"abcd\"")) ==
        COFFER_ERROR_NOT_FOUND);
  REQUIRE(err != nullptr);
  CHECK(coffer_error_code(err) == COFFER_ERROR_NOT_FOUND);
  CHECK(std::string(coffer_error_message(err)) == "no snapshot matches \"abcd\"");
  coffer_error_free(err);

  CHECK(coffer_error_code(nullptr) == COFFER_ERROR_INTERNAL);
  CHECK(std::string(coffer_error_message(nullptr)).empty());
  coffer_error_free(nullptr);
  coffer_free(nullptr);
  // err == NULL: only the code comes back.
  CHECK(coffer::capi::Fail(nullptr, COFFER_ERROR_IO, "x") == COFFER_ERROR_IO);
}

TEST_CASE("exceptions never cross the boundary") {
  coffer::testing::CError err;
  CHECK(coffer::capi::Guard(err.out(), []() -> coffer_status { throw std::bad_alloc(); }) ==
        COFFER_ERROR_NO_SPACE);
  CHECK(err.message() == "out of memory");
  CHECK(coffer::capi::Guard(err.out(), []() -> coffer_status {
          throw std::runtime_error("boom");
        }) == COFFER_ERROR_INTERNAL);
  CHECK(err.message().find("boom") != std::string::npos);
  CHECK(coffer::capi::Guard(err.out(), []() -> coffer_status { throw 42; }) ==
        COFFER_ERROR_INTERNAL);
}

TEST_CASE("the runtime version matches the header") {
  CHECK(coffer_version_number() == COFFER_VERSION_NUMBER);
  CHECK(std::string(coffer_version()) == COFFER_VERSION_STRING);
  CHECK(std::string(COFFER_VERSION_STRING) == "0.1.0");
  CHECK(coffer_default_pack_size() == 4u << 20);
  CHECK(coffer_default_chunk_avg_size() == 1u << 20);
  CHECK(coffer_default_kdf_ops_limit() >= 1);
}
