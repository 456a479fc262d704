// A store that passes every object call to another one: test stores that
// change one or two calls (a gate, a fault, a lock) derive from it and
// override just those.
//
// Only the object calls are forwarded (Put, PutIfAbsent, Get, GetRange,
// Stat, List, Delete, Describe); tuning hooks such as ParallelWrites keep
// Store's defaults.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "store/store.h"

namespace coffer::testing {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}

  absl::Status Put(std::string_view name, ByteView data) override { return inner_->Put(name, data); }
  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    return inner_->PutIfAbsent(name, data);
  }
  absl::StatusOr<Bytes> Get(std::string_view name) override { return inner_->Get(name); }
  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    return inner_->GetRange(name, offset, length);
  }
  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override { return inner_->Stat(name); }
  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    return inner_->List(prefix, fn);
  }
  absl::Status Delete(std::string_view name) override { return inner_->Delete(name); }
  std::string Describe() const override { return inner_->Describe(); }

 protected:
  Store& inner() { return *inner_; }

 private:
  std::unique_ptr<Store> inner_;
};

}  // namespace coffer::testing
