#include "object_service.h"

#include <charconv>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

namespace server {
namespace {

constexpr size_t kDefaultListLimit = 1000;
constexpr size_t kMaxListLimit = 10000;

struct ErrorFree {
  void operator()(coffer_error* e) const { coffer_error_free(e); }
};
using ErrorPtr = std::unique_ptr<coffer_error, ErrorFree>;

struct BytesFree {
  void operator()(uint8_t* p) const { coffer_free(p); }
};
using BytesPtr = std::unique_ptr<uint8_t, BytesFree>;

std::optional<uint64_t> ParseUint(const std::string& text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool IsHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

int ListOne(void* user, const char* name, uint64_t size) {
  auto* page = static_cast<nlohmann::json*>(user);
  page->push_back({{"name", name}, {"size", size}});
  return 0;
}

}  // namespace

void SetError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(message + "\n", "text/plain; charset=utf-8");
}

ObjectService::ObjectService(coffer_store* store, bool append_only)
    : store_(store), append_only_(append_only) {
  char* text = nullptr;
  if (coffer_store_describe(store, &text, nullptr) == COFFER_OK) {
    store_description_ = text;
    coffer_free(text);
  }
}

bool ObjectService::IsLockObject(const std::string& key) {
  size_t last = key.rfind('/');
  if (last == std::string::npos || !IsHex64(key.substr(last + 1))) return false;
  std::string parent = key.substr(0, last);
  return parent == "locks" ||
         (parent.size() > 6 && parent.compare(parent.size() - 6, 6, "/locks") == 0);
}

void ObjectService::Fail(httplib::Response& res, coffer_status status, coffer_error* err,
                         int invalid_status) {
  std::string message = coffer_error_message(err);
  int http;
  switch (status) {
    case COFFER_ERROR_NOT_FOUND:
      http = 404;
      break;
    case COFFER_ERROR_ALREADY_EXISTS:
      http = 412;
      break;
    case COFFER_ERROR_INVALID_ARGUMENT:
      http = invalid_status;
      break;
    case COFFER_ERROR_IO:
      http = 503;
      break;
    case COFFER_ERROR_NO_SPACE:
      http = 507;
      break;
    default:
      http = 500;
      break;
  }
  if (http >= 500) {
    // The details are for the administrator; the client learns the kind.
    std::cerr << "coffer-server: store error: " << message << std::endl;
    SetError(res, http, std::string("server store error (") + coffer_status_name(status) + ")");
    return;
  }
  if (!store_description_.empty())
    for (size_t at; (at = message.find(store_description_)) != std::string::npos;)
      message.replace(at, store_description_.size(), "server store");
  SetError(res, http, message);
}

void ObjectService::Get(const httplib::Request& req, httplib::Response& res,
                        const std::string& key) {
  if (req.has_param("list")) return List(req, res, key);
  if (req.has_param("info")) return Info(res);
  coffer_error* raw = nullptr;
  if (req.has_param("stat")) {
    uint64_t size = 0;
    coffer_status s = coffer_store_stat(store_, key.c_str(), &size, &raw);
    ErrorPtr err(raw);
    if (s != COFFER_OK) return Fail(res, s, raw, 400);
    res.set_content(nlohmann::json{{"size", size}}.dump(), "application/json");
    return;
  }
  uint8_t* data = nullptr;
  size_t size = 0;
  coffer_status s;
  if (req.has_param("offset") || req.has_param("length")) {
    std::optional<uint64_t> offset = ParseUint(req.get_param_value("offset"));
    std::optional<uint64_t> length = ParseUint(req.get_param_value("length"));
    if (!offset || !length)
      return SetError(res, 400, "a ranged read needs both offset and length as decimal integers");
    s = coffer_store_get_range(store_, key.c_str(), *offset, *length, &data, &size, &raw);
  } else {
    s = coffer_store_get(store_, key.c_str(), &data, &size, &raw);
  }
  ErrorPtr err(raw);
  BytesPtr bytes(data);
  if (s != COFFER_OK) return Fail(res, s, raw, req.has_param("offset") ? 416 : 400);
  res.set_content(reinterpret_cast<const char*>(data), size, "application/octet-stream");
}

void ObjectService::List(const httplib::Request& req, httplib::Response& res,
                         const std::string& dir) {
  if (dir.empty() || dir.back() != '/')
    return SetError(res, 400, "a listing is asked of a repository path ending in '/'");
  size_t limit = kDefaultListLimit;
  if (req.has_param("limit")) {
    std::optional<uint64_t> asked = ParseUint(req.get_param_value("limit"));
    if (!asked || *asked == 0)
      return SetError(res, 400, "limit must be a positive decimal integer");
    limit = static_cast<size_t>(std::min<uint64_t>(*asked, kMaxListLimit));
  }
  std::string prefix = dir + req.get_param_value("prefix");
  std::string after = req.has_param("after") ? dir + req.get_param_value("after") : "";
  nlohmann::json page = nlohmann::json::array();
  coffer_error* raw = nullptr;
  coffer_status s =
      coffer_store_list(store_, prefix.c_str(), after.c_str(), limit, ListOne, &page, &raw);
  ErrorPtr err(raw);
  if (s != COFFER_OK) return Fail(res, s, raw, 400);
  for (auto& entry : page) entry["name"] = entry["name"].get<std::string>().substr(dir.size());
  nlohmann::json doc = {{"objects", page}, {"truncated", page.size() == limit}};
  res.set_content(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void ObjectService::Info(httplib::Response& res) {
  nlohmann::json doc = {
      {"server", "coffer-server"}, {"version", coffer_version()}, {"append_only", append_only_}};
  res.set_content(doc.dump(), "application/json");
}

void ObjectService::Put(const httplib::Request& req, httplib::Response& res, const std::string& key,
                        const std::string& body) {
  const bool if_absent = req.get_header_value("If-None-Match") == "*";
  const auto* data = reinterpret_cast<const uint8_t*>(body.data());
  const bool keep_existing = append_only_ && !IsLockObject(key);
  coffer_error* raw = nullptr;
  coffer_status s =
      coffer_store_put(store_, key.c_str(), data, body.size(), if_absent || keep_existing, &raw);
  ErrorPtr err(raw);
  if (s == COFFER_ERROR_ALREADY_EXISTS && keep_existing && !if_absent) {
    // An overwrite on an append-only server: the same bytes are no change.
    uint8_t* old = nullptr;
    size_t old_size = 0;
    coffer_error* get_raw = nullptr;
    coffer_status got = coffer_store_get(store_, key.c_str(), &old, &old_size, &get_raw);
    ErrorPtr get_err(get_raw);
    BytesPtr old_bytes(old);
    if (got != COFFER_OK) return Fail(res, got, get_raw, 400);
    if (old_size == body.size() && std::memcmp(old, data, old_size) == 0) {
      res.status = 200;
      return;
    }
    return SetError(res, 403,
                    "the repository server is append-only: object " + key +
                        " exists and cannot be overwritten");
  }
  if (s != COFFER_OK) return Fail(res, s, raw, 400);
  res.status = 201;
}

void ObjectService::Delete(const httplib::Request&, httplib::Response& res,
                           const std::string& key) {
  if (append_only_ && !IsLockObject(key))
    return SetError(res, 403,
                    "the repository server is append-only: object " + key +
                        " cannot be deleted (an administrator prunes on the server's store)");
  coffer_error* raw = nullptr;
  coffer_status s = coffer_store_delete(store_, key.c_str(), &raw);
  ErrorPtr err(raw);
  if (s != COFFER_OK) return Fail(res, s, raw, 400);
  res.status = 204;
}

}  // namespace server
