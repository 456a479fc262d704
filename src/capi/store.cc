// Raw store access: the Store interface (store/store.h) behind an opaque
// coffer_store handle, for programs that keep repositories without opening
// them (coffer-server). Objects pass through as bytes; nothing is decrypted.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "capi/error.h"
#include "capi/output.h"
#include "store/store_registry.h"

struct coffer_store {
  std::unique_ptr<coffer::Store> store;
};

using coffer::capi::Fail;
using coffer::capi::Guard;

namespace coffer::capi {
namespace {

// A malloc'ed copy of `data` (coffer_free frees it); never NULL, even for 0
// bytes, so callers can tell "empty object" from "no result".
uint8_t* CopyBytes(const Bytes& data) {
  void* out = std::malloc(data.empty() ? 1 : data.size());
  if (out == nullptr) throw std::bad_alloc();
  if (!data.empty()) std::memcpy(out, data.data(), data.size());
  return static_cast<uint8_t*>(out);
}

coffer_status ReturnBytes(absl::StatusOr<Bytes> got, uint8_t** data_out, size_t* size_out,
                          coffer_error** err) {
  if (!got.ok()) return Fail(err, got.status());
  *data_out = CopyBytes(*got);
  *size_out = got->size();
  return COFFER_OK;
}

// The `limit` smallest names above `start_after` under `prefix`, in order.
// Memory stays O(limit) however large the store: a max-heap keeps the
// smallest names seen so far.
absl::StatusOr<std::vector<ObjectInfo>> ListPage(Store& store, std::string_view prefix,
                                                 std::string_view start_after, size_t limit) {
  auto larger_name = [](const ObjectInfo& a, const ObjectInfo& b) { return a.name < b.name; };
  std::priority_queue<ObjectInfo, std::vector<ObjectInfo>, decltype(larger_name)> smallest(
      larger_name);
  absl::Status listed = store.List(prefix, [&](const ObjectInfo& info) {
    if (info.name <= start_after) return absl::OkStatus();
    if (limit == 0 || smallest.size() < limit) {
      smallest.push(info);
    } else if (info.name < smallest.top().name) {
      smallest.pop();
      smallest.push(info);
    }
    return absl::OkStatus();
  });
  if (!listed.ok()) return listed;
  std::vector<ObjectInfo> page(smallest.size());
  for (size_t i = page.size(); i-- > 0; smallest.pop()) page[i] = smallest.top();
  return page;
}

}  // namespace
}  // namespace coffer::capi

extern "C" {

COFFER_API coffer_status coffer_store_open(const char* location, coffer_store** out,
                                           coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(out);
    *out = nullptr;
    COFFER_CAPI_REQUIRE(location);
    auto store = coffer::OpenStore(location);
    if (!store.ok()) return Fail(err, store.status());
    auto handle = std::make_unique<coffer_store>();
    handle->store = std::move(*store);
    *out = handle.release();
    return COFFER_OK;
  });
}

COFFER_API void coffer_store_close(coffer_store* store) { delete store; }

COFFER_API coffer_status coffer_store_put(coffer_store* store, const char* name,
                                          const uint8_t* data, size_t size, int if_absent,
                                          coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(store);
    COFFER_CAPI_REQUIRE(name);
    if (data == nullptr && size != 0) COFFER_CAPI_REQUIRE(data);
    coffer::ByteView bytes(data, size);
    absl::Status s =
        if_absent != 0 ? store->store->PutIfAbsent(name, bytes) : store->store->Put(name, bytes);
    if (!s.ok()) return Fail(err, s);
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_store_get(coffer_store* store, const char* name, uint8_t** data_out,
                                          size_t* size_out, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(data_out);
    COFFER_CAPI_REQUIRE(size_out);
    *data_out = nullptr;
    *size_out = 0;
    COFFER_CAPI_REQUIRE(store);
    COFFER_CAPI_REQUIRE(name);
    return coffer::capi::ReturnBytes(store->store->Get(name), data_out, size_out, err);
  });
}

COFFER_API coffer_status coffer_store_get_range(coffer_store* store, const char* name,
                                                uint64_t offset, uint64_t length,
                                                uint8_t** data_out, size_t* size_out,
                                                coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(data_out);
    COFFER_CAPI_REQUIRE(size_out);
    *data_out = nullptr;
    *size_out = 0;
    COFFER_CAPI_REQUIRE(store);
    COFFER_CAPI_REQUIRE(name);
    return coffer::capi::ReturnBytes(store->store->GetRange(name, offset, length), data_out,
                                     size_out, err);
  });
}

COFFER_API coffer_status coffer_store_stat(coffer_store* store, const char* name,
                                           uint64_t* size_out, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(size_out);
    *size_out = 0;
    COFFER_CAPI_REQUIRE(store);
    COFFER_CAPI_REQUIRE(name);
    auto info = store->store->Stat(name);
    if (!info.ok()) return Fail(err, info.status());
    *size_out = info->size;
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_store_list(coffer_store* store, const char* prefix,
                                           const char* start_after, size_t limit,
                                           coffer_store_list_fn fn, void* user,
                                           coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(store);
    COFFER_CAPI_REQUIRE(fn);
    auto page = coffer::capi::ListPage(*store->store, prefix != nullptr ? prefix : "",
                                       start_after != nullptr ? start_after : "", limit);
    if (!page.ok()) return Fail(err, page.status());
    for (const coffer::ObjectInfo& info : *page)
      if (fn(user, info.name.c_str(), info.size) != 0)
        return Fail(err, COFFER_ERROR_CANCELLED,
                    coffer::capi::Cat("listing of ", store->store->Describe(),
                                      " stopped by its callback at \"", info.name, "\""));
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_store_delete(coffer_store* store, const char* name,
                                             coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(store);
    COFFER_CAPI_REQUIRE(name);
    absl::Status s = store->store->Delete(name);
    if (!s.ok()) return Fail(err, s);
    return COFFER_OK;
  });
}

COFFER_API coffer_status coffer_store_describe(coffer_store* store, char** description_out,
                                               coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(description_out);
    *description_out = nullptr;
    COFFER_CAPI_REQUIRE(store);
    *description_out = coffer::capi::CopyString(store->store->Describe());
    return COFFER_OK;
  });
}

}  // extern "C"
