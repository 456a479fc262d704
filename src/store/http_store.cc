// The coffer-server store (see http_store.h for the protocol and
// docs/SERVER.md for the server's side of it).
#include "store/http_store.h"

#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "base/status_macros.h"
#include "store/percent_encoding.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

using nlohmann::json;

// Server messages are short text; more than this is not worth showing.
constexpr size_t kMaxShownMessage = 300;

// '/' is harmless in a path but escaped in a query value.
std::string QueryEscape(std::string_view text) { return PercentEncode(text); }

// The server's explanation from an error reply, cleaned for one line.
std::string ServerMessage(const HttpResponse& response) {
  std::string text(reinterpret_cast<const char*>(response.body.data()),
                   std::min(response.body.size(), kMaxShownMessage));
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  absl::StripAsciiWhitespace(&text);
  std::string out = StoreCat("HTTP ", response.status);
  if (!text.empty()) out += StoreCat(": ", text);
  return out;
}

// A prefix only a name no store accepts could start with ("../", "a//")
// lists nothing; a valid name extends it by one more character at least.
bool PrefixCanMatch(std::string_view prefix) {
  return ValidateObjectName(StoreCat(prefix, "x")).ok();
}

class HttpStore final : public Store {
 public:
  HttpStore(HttpStoreOptions options, std::unique_ptr<HttpClient> http)
      : options_(std::move(options)),
        http_(std::move(http)),
        describe_(StoreCat("coffer-server store ", RedactUrl(options_.base_url))) {
    if (!options_.user.empty()) {
      std::string credentials = StoreCat(options_.user, ":", options_.password);
      authorization_ = "Basic " + absl::Base64Escape(credentials);
    }
  }

  absl::Status Put(std::string_view name, ByteView data) override {
    return Upload(name, data, false);
  }
  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    return Upload(name, data, true);
  }

  absl::StatusOr<Bytes> Get(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(describe_, name));
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, Send("GET", ObjectUrl(name), name));
    if (response.status != 200) return Failure(response, name);
    return std::move(response.body);
  }

  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(describe_, name));
    if (length > std::numeric_limits<uint64_t>::max() - offset)
      return ObjectError(absl::StatusCode::kInvalidArgument, describe_, name,
                         StoreCat("range [", offset, ", +", length, ") lies beyond any object"));
    std::string url = StoreCat(ObjectUrl(name), "?offset=", offset, "&length=", length);
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, Send("GET", url, name));
    if (response.status != 200) return Failure(response, name);
    if (response.body.size() != length)
      return ObjectError(absl::StatusCode::kDataLoss, describe_, name,
                         StoreCat("asked for ", length, " bytes at ", offset, ", the server sent ",
                                  response.body.size()));
    return std::move(response.body);
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(describe_, name));
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, Send("GET", ObjectUrl(name) + "?stat", name));
    if (response.status != 200) return Failure(response, name);
    json doc = json::parse(response.body.begin(), response.body.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("size") ||
        !doc["size"].is_number_unsigned())
      return ObjectError(absl::StatusCode::kDataLoss, describe_, name,
                         "the server's stat answer is not {\"size\": N}");
    return ObjectInfo{std::string(name), doc["size"].get<uint64_t>()};
  }

  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    if (!PrefixCanMatch(prefix)) return absl::OkStatus();
    std::string after;
    for (;;) {
      std::string url = StoreCat(options_.base_url, "/?list&prefix=", QueryEscape(prefix),
                                 "&limit=", options_.list_page);
      if (!after.empty()) url += "&after=" + QueryEscape(after);
      COFFER_ASSIGN_OR_RETURN(HttpResponse response, Send("GET", url, "(listing)"));
      if (response.status != 200) return Failure(response, StoreCat("(listing \"", prefix, "\")"));
      json doc = json::parse(response.body.begin(), response.body.end(), nullptr, false);
      if (doc.is_discarded() || !doc.is_object() || !doc.contains("objects") ||
          !doc["objects"].is_array())
        return absl::DataLossError(
            StoreCat(describe_, ": the server's listing is not {\"objects\": [...]}"));
      std::vector<ObjectInfo> page;
      for (const json& entry : doc["objects"]) {
        if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
            !entry.contains("size") || !entry["size"].is_number_unsigned())
          return absl::DataLossError(StoreCat(describe_, ": a listing entry lacks name or size"));
        page.push_back({entry["name"].get<std::string>(), entry["size"].get<uint64_t>()});
      }
      // Names must grow: a server that repeats itself would loop forever.
      for (const ObjectInfo& info : page) {
        if (info.name <= after)
          return absl::DataLossError(
              StoreCat(describe_, ": the listing went backwards at \"", info.name, "\""));
        after = info.name;
        if (!info.name.starts_with(prefix) || !ValidateObjectName(info.name).ok()) continue;
        COFFER_RETURN_IF_ERROR(fn(info));
      }
      bool truncated = doc.value("truncated", false);
      if (!truncated || page.empty()) return absl::OkStatus();
    }
  }

  absl::Status Delete(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(describe_, name));
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, Send("DELETE", ObjectUrl(name), name));
    if (response.status == 200 || response.status == 204) return absl::OkStatus();
    return Failure(response, name);
  }

  absl::Status CheckDeletable() override {
    COFFER_ASSIGN_OR_RETURN(HttpResponse response,
                            Send("GET", options_.base_url + "/?info", "(info)"));
    if (response.status != 200) return Failure(response, "(info)");
    json doc = json::parse(response.body.begin(), response.body.end(), nullptr, false);
    if (!doc.is_discarded() && doc.is_object() && doc.value("append_only", false))
      return absl::PermissionDeniedError(
          StoreCat(describe_,
                   " is append-only: objects there can be added but never deleted or replaced, so "
                   "nothing was changed (forget and prune are for the server's administrator, run "
                   "directly on the server's store)"));
    return absl::OkStatus();
  }

  std::string Describe() const override { return describe_; }
  // A coffer-server is remote like object storage: several connections,
  // larger packs.
  int ParallelWrites() const override { return kCloudParallelWrites; }
  uint32_t DefaultPackSize() const override { return kCloudDefaultPackSize; }

 private:
  std::string ObjectUrl(std::string_view name) const {
    return StoreCat(options_.base_url, "/", HttpStorePathEscape(name));
  }

  absl::Status Upload(std::string_view name, ByteView data, bool if_absent) {
    COFFER_RETURN_IF_ERROR(CheckObjectName(describe_, name));
    HttpRequest request;
    request.method = "PUT";
    request.url = ObjectUrl(name);
    request.body = data;
    request.headers.emplace_back("Content-Type", "application/octet-stream");
    if (if_absent) request.headers.emplace_back("If-None-Match", "*");
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), name));
    if (response.status == 200 || response.status == 201 || response.status == 204)
      return absl::OkStatus();
    if (if_absent && response.status == 412)
      return ObjectError(absl::StatusCode::kAlreadyExists, describe_, name, "already exists");
    return Failure(response, name);
  }

  absl::StatusOr<HttpResponse> Send(std::string method, std::string url, std::string_view name) {
    HttpRequest request;
    request.method = std::move(method);
    request.url = std::move(url);
    return Send(std::move(request), name);
  }

  absl::StatusOr<HttpResponse> Send(HttpRequest request, std::string_view name) {
    if (!authorization_.empty()) request.headers.emplace_back("Authorization", authorization_);
    absl::StatusOr<HttpResponse> response = http_->Send(request);
    if (!response.ok())
      return absl::Status(
          response.status().code(),
          StoreCat(describe_, ": object ", name, ": ", std::string(response.status().message())));
    return response;
  }

  absl::Status Failure(const HttpResponse& response, std::string_view name) const {
    std::string what = ServerMessage(response);
    switch (response.status) {
      case 401:
        return ObjectError(absl::StatusCode::kUnauthenticated, describe_, name,
                           StoreCat(what,
                                    " (the server refused the credentials from "
                                    "COFFER_HTTP_USER / COFFER_HTTP_PASSWORD)"));
      case 404:
        return ObjectError(absl::StatusCode::kNotFound, describe_, name, "not found");
      case 412:
        return ObjectError(absl::StatusCode::kAlreadyExists, describe_, name, what);
      case 416:
        return ObjectError(absl::StatusCode::kInvalidArgument, describe_, name, what);
      default:
        return ObjectError(HttpStatusToCode(response.status), describe_, name, what);
    }
  }

  HttpStoreOptions options_;
  std::unique_ptr<HttpClient> http_;
  std::string describe_;
  std::string authorization_;
};

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

absl::StatusOr<std::unique_ptr<Store>> OpenLocation(std::string_view scheme,
                                                    std::string_view rest) {
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  HttpStoreOptions options;
  options.user = Getenv("COFFER_HTTP_USER");
  options.password = Getenv("COFFER_HTTP_PASSWORD");
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    if (userinfo.find(':') != std::string_view::npos)
      return absl::InvalidArgumentError(StoreCat(
          scheme, ":// location carries a password; give it in COFFER_HTTP_PASSWORD instead"));
    options.user = std::string(userinfo);
    authority = authority.substr(at + 1);
  }
  if (authority.empty())
    return absl::InvalidArgumentError(
        StoreCat(scheme, ":// location needs a host, as in ", scheme, "://host:8000/NAME"));
  if (path.find_first_of("?#") != std::string_view::npos)
    return absl::InvalidArgumentError(
        StoreCat(scheme, ":// location must not have a query or fragment"));
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.empty() || !ValidateObjectName(path.substr(1)).ok())
    return absl::InvalidArgumentError(
        StoreCat(scheme, "://", authority, " needs a repository path such as ", scheme, "://",
                 authority, "/NAME (path components without \"..\", \".\" or \"//\")"));
  if (!options.user.empty() && options.password.empty())
    return absl::InvalidArgumentError(
        StoreCat("COFFER_HTTP_USER is set but COFFER_HTTP_PASSWORD is empty; set both for ", scheme,
                 "://", authority));
  options.base_url = StoreCat(scheme, "://", authority, "/", HttpStorePathEscape(path.substr(1)));
  options.http = HttpClientOptionsFromEnvironment();
  return NewHttpStore(std::move(options));
}

}  // namespace

std::string HttpStorePathEscape(std::string_view name) { return PercentEncode(name, /*keep_slash=*/true); }

absl::StatusOr<std::unique_ptr<Store>> NewHttpStore(HttpStoreOptions options) {
  if (options.list_page == 0) return absl::InvalidArgumentError("list_page must be positive");
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http, HttpClient::Create(options.http));
  return std::unique_ptr<Store>(new HttpStore(std::move(options), std::move(http)));
}

absl::StatusOr<std::unique_ptr<Store>> OpenHttpLocation(std::string_view rest) {
  return OpenLocation("http", rest);
}

absl::StatusOr<std::unique_ptr<Store>> OpenHttpsLocation(std::string_view rest) {
  return OpenLocation("https", rest);
}

}  // namespace coffer
