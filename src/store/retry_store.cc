#include "store/retry_store.h"

#include "store/object_lock.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

bool IsTransient(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

std::string FormatSeconds(std::chrono::steady_clock::duration elapsed) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s",
                std::chrono::duration<double>(elapsed).count());
  return text;
}

class RetryStore final : public Store, public ObjectLockable {
 public:
  RetryStore(std::unique_ptr<Store> inner, RetryOptions options)
      : inner_(std::move(inner)), options_(std::move(options)) {
    options_.max_attempts = std::max(options_.max_attempts, 1);
    if (!options_.sleep)
      options_.sleep = [](std::chrono::milliseconds wait) { std::this_thread::sleep_for(wait); };
  }

  absl::Status Put(std::string_view name, ByteView data) override {
    return Run([&](int) { return inner_->Put(name, data); });
  }

  // Object lock: forwarded to the wrapped store (retried like any call).
  absl::Status EnableObjectLock(const ObjectLockPolicy& policy) override {
    ObjectLockable* inner = ObjectLockOf(*inner_);
    if (!inner) return absl::UnimplementedError(inner_->Describe() + " cannot lock objects");
    return inner->EnableObjectLock(policy);
  }
  absl::StatusOr<absl::Time> RetainedUntil(std::string_view name) override {
    ObjectLockable* inner = ObjectLockOf(*inner_);
    if (!inner) return absl::InfinitePast();
    absl::Time result = absl::InfinitePast();
    absl::Status status = Run([&](int) -> absl::Status {
      auto got = inner->RetainedUntil(name);
      if (got.ok()) result = *got;
      return got.status();
    });
    if (!status.ok()) return status;
    return result;
  }
  absl::Status ExtendRetention(std::string_view name, absl::Time until) override {
    ObjectLockable* inner = ObjectLockOf(*inner_);
    if (!inner) return absl::UnimplementedError(inner_->Describe() + " cannot lock objects");
    return Run([&](int) { return inner->ExtendRetention(name, until); });
  }

  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    return Run([&](int attempt) -> absl::Status {
      absl::Status status = inner_->PutIfAbsent(name, data);
      if (attempt == 1 || !absl::IsAlreadyExists(status)) return status;
      // An earlier attempt may have stored the object before failing.
      absl::StatusOr<Bytes> stored = inner_->Get(name);
      if (!stored.ok()) return stored.status();
      if (stored->size() == data.size() && std::equal(stored->begin(), stored->end(), data.begin()))
        return absl::OkStatus();
      return status;
    });
  }

  absl::StatusOr<Bytes> Get(std::string_view name) override {
    Bytes result;
    absl::Status status = Run([&](int) -> absl::Status {
      absl::StatusOr<Bytes> got = inner_->Get(name);
      if (got.ok()) result = std::move(*got);
      return got.status();
    });
    if (!status.ok()) return status;
    return result;
  }

  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset,
                                 uint64_t length) override {
    Bytes result;
    absl::Status status = Run([&](int) -> absl::Status {
      absl::StatusOr<Bytes> got = inner_->GetRange(name, offset, length);
      if (got.ok()) result = std::move(*got);
      return got.status();
    });
    if (!status.ok()) return status;
    return result;
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    ObjectInfo result;
    absl::Status status = Run([&](int) -> absl::Status {
      absl::StatusOr<ObjectInfo> got = inner_->Stat(name);
      if (got.ok()) result = std::move(*got);
      return got.status();
    });
    if (!status.ok()) return status;
    return result;
  }

  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    // Names already handed to `fn`, so a restarted listing skips them. Only
    // filled once a retry is possible at all.
    absl::flat_hash_set<std::string> delivered;
    absl::Status caller_status;
    absl::Status status = Run([&](int) -> absl::Status {
      absl::Status listed = inner_->List(prefix, [&](const ObjectInfo& info) -> absl::Status {
        if (options_.max_attempts > 1 && !delivered.insert(info.name).second)
          return absl::OkStatus();
        caller_status = fn(info);
        return caller_status;
      });
      // Stop retrying when the caller stopped the listing, whatever its code.
      return caller_status.ok() ? listed : absl::CancelledError();
    });
    // The caller's own error ends the listing as it is, never retried.
    if (!caller_status.ok()) return caller_status;
    return status;
  }

  absl::Status Delete(std::string_view name) override {
    return Run([&](int attempt) -> absl::Status {
      absl::Status status = inner_->Delete(name);
      if (attempt > 1 && absl::IsNotFound(status)) return absl::OkStatus();
      return status;
    });
  }

  std::string Describe() const override { return inner_->Describe(); }
  int ParallelWrites() const override { return inner_->ParallelWrites(); }
  uint32_t DefaultPackSize() const override { return inner_->DefaultPackSize(); }

  absl::Status CheckDeletable() override {
    return Run([&](int) { return inner_->CheckDeletable(); });
  }
  absl::Status Prepare() override {
    return Run([&](int) { return inner_->Prepare(); });
  }

 private:
  // Calls `attempt(n)` for n = 1, 2, ... until it returns anything but a
  // transient failure or the attempts run out.
  template <typename Attempt>
  absl::Status Run(Attempt&& attempt) {
    const auto started = std::chrono::steady_clock::now();
    std::chrono::milliseconds cap = options_.initial_backoff;
    absl::Status status;
    for (int n = 1;; ++n) {
      status = attempt(n);
      if (!IsTransient(status)) return status;
      if (n == options_.max_attempts) break;
      options_.sleep(Jitter(cap));
      cap = std::min(cap * 2, options_.max_backoff);
    }
    if (options_.max_attempts == 1) return status;
    return absl::Status(status.code(),
                        StoreCat(std::string(status.message()), " (gave up after ", options_.max_attempts,
                                 " attempts over ",
                                 FormatSeconds(std::chrono::steady_clock::now() - started), ")"));
  }

  std::chrono::milliseconds Jitter(std::chrono::milliseconds cap) {
    absl::MutexLock lock(&rng_mu_);
    std::uniform_int_distribution<int64_t> wait(0, std::max<int64_t>(cap.count(), 0));
    return std::chrono::milliseconds(wait(rng_));
  }

  std::unique_ptr<Store> inner_;
  RetryOptions options_;
  absl::Mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

std::unique_ptr<Store> NewRetryStore(std::unique_ptr<Store> inner, RetryOptions options) {
  return std::make_unique<RetryStore>(std::move(inner), std::move(options));
}

}  // namespace coffer
