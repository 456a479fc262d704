// The memory store: a sorted map from name to bytes behind a mutex. It checks
// names and ranges exactly as the local store does, so tests written against
// it hold for the real stores too.
#include "store/memory_store.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "store/named_memory_store.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

// The objects; shared by every handle on one named store. Contents are
// immutable once stored, so readers copy them outside the lock.
struct MemoryObjects {
  absl::Mutex mu;
  std::map<std::string, std::shared_ptr<const Bytes>, std::less<>> objects ABSL_GUARDED_BY(mu);
};

class MemoryStore final : public Store {
 public:
  MemoryStore(std::shared_ptr<MemoryObjects> state, std::string description)
      : state_(std::move(state)), description_(std::move(description)) {}

  absl::Status Put(std::string_view name, ByteView data) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    auto content = std::make_shared<const Bytes>(data.begin(), data.end());
    absl::MutexLock lock(&state_->mu);
    state_->objects.insert_or_assign(std::string(name), std::move(content));
    return absl::OkStatus();
  }

  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    auto content = std::make_shared<const Bytes>(data.begin(), data.end());
    absl::MutexLock lock(&state_->mu);
    if (!state_->objects.try_emplace(std::string(name), std::move(content)).second)
      return ObjectError(absl::StatusCode::kAlreadyExists, description_, name, "already exists");
    return absl::OkStatus();
  }

  absl::StatusOr<Bytes> Get(std::string_view name) override {
    COFFER_ASSIGN_OR_RETURN(std::shared_ptr<const Bytes> content, Find(name));
    return *content;
  }

  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    COFFER_ASSIGN_OR_RETURN(std::shared_ptr<const Bytes> content, Find(name));
    COFFER_RETURN_IF_ERROR(CheckObjectRange(description_, name, content->size(), offset, length));
    auto first = content->begin() + static_cast<ptrdiff_t>(offset);
    return Bytes(first, first + static_cast<ptrdiff_t>(length));
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    COFFER_ASSIGN_OR_RETURN(std::shared_ptr<const Bytes> content, Find(name));
    return ObjectInfo{std::string(name), content->size()};
  }

  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    // Collect first and call `fn` without the lock, so `fn` may use the store
    // (prune deletes while listing).
    std::vector<ObjectInfo> found;
    {
      absl::MutexLock lock(&state_->mu);
      for (auto it = state_->objects.lower_bound(prefix);
           it != state_->objects.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
        found.push_back(ObjectInfo{it->first, it->second->size()});
    }
    for (const ObjectInfo& info : found) COFFER_RETURN_IF_ERROR(fn(info));
    return absl::OkStatus();
  }

  absl::Status Delete(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    absl::MutexLock lock(&state_->mu);
    auto it = state_->objects.find(name);
    if (it == state_->objects.end()) return NotFound(name);
    state_->objects.erase(it);
    return absl::OkStatus();
  }

  std::string Describe() const override { return description_; }

 private:
  absl::Status NotFound(std::string_view name) const {
    return ObjectError(absl::StatusCode::kNotFound, description_, name, "not found");
  }

  absl::StatusOr<std::shared_ptr<const Bytes>> Find(std::string_view name) {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    absl::MutexLock lock(&state_->mu);
    auto it = state_->objects.find(name);
    if (it == state_->objects.end()) return NotFound(name);
    return it->second;
  }

  const std::shared_ptr<MemoryObjects> state_;
  const std::string description_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() {
  return std::make_unique<MemoryStore>(std::make_shared<MemoryObjects>(), "memory store");
}

std::unique_ptr<Store> OpenNamedMemoryStore(std::string_view name) {
  static absl::Mutex registry_mu(absl::kConstInit);
  // Leaked on purpose: handles may outlive static destruction order.
  static auto* registry = new absl::flat_hash_map<std::string, std::shared_ptr<MemoryObjects>>();
  std::shared_ptr<MemoryObjects> state;
  {
    absl::MutexLock lock(&registry_mu);
    std::shared_ptr<MemoryObjects>& slot = (*registry)[std::string(name)];
    if (!slot) slot = std::make_shared<MemoryObjects>();
    state = slot;
  }
  return std::make_unique<MemoryStore>(std::move(state), StoreCat("memory store ", name));
}

}  // namespace coffer
