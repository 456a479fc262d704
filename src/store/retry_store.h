// A store decorator that retries transient failures, so a backup survives a
// dropped connection, a 503 or a throttling cloud without the layers above
// knowing. It wraps any store; the registry puts it around every network
// store.
//
// What is retried: calls failing Unavailable (connection refused or reset,
// timeouts, 5xx, 429; see HttpStatusToCode) or DeadlineExceeded. Every other
// answer (NotFound, a wrong password, a bad name, PermissionDenied) is final
// and returned at once. Waits grow exponentially with full jitter (a random
// wait between zero and the current cap, so many clients that failed together
// do not retry together), up to `max_attempts` calls in all.
//
// All Store operations are made idempotent for retrying:
// - Put rewrites the same bytes.
// - PutIfAbsent: when an attempt failed after the server may have stored the
//   object (its answer was lost), a retry sees AlreadyExists. The decorator
//   then reads the object back: the same bytes mean the earlier attempt
//   succeeded (OK); different bytes are a genuine AlreadyExists.
// - Delete: NotFound on a retry after a failed attempt means the earlier
//   attempt deleted it (OK).
// - List: a retry starts the listing again and skips names already passed to
//   the caller, so the callback sees each object once.
//
// The final error keeps the last failure's code and message (which name the
// store and the object) and says what was tried: "<last error> (gave up
// after 6 attempts over 31.2 s)".
//
// Thread-safety: as the wrapped store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "store/store.h"

namespace coffer {

struct RetryOptions {
  int max_attempts = 6;  // calls in all, the first included; 1 disables retrying
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{15000};
  // How a wait happens; tests replace it to run without sleeping.
  std::function<void(std::chrono::milliseconds)> sleep;
};

std::unique_ptr<Store> NewRetryStore(std::unique_ptr<Store> inner, RetryOptions options = {});

}  // namespace coffer
