// OpenStore: a location string to a Store. A location is "scheme://rest",
// "memory:[NAME]", or a local path. Each scheme is one row of kSchemes, so a
// new backend adds one line here.
#include "store/store_registry.h"

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "store/azure_store.h"
#include "store/gcs_store.h"
#include "store/http_store.h"
#include "store/local_store.h"
#include "store/memory_store.h"
#include "store/named_memory_store.h"
#include "store/retry_store.h"
#include "store/s3_store.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

using StoreFactory = absl::StatusOr<std::unique_ptr<Store>> (*)(std::string_view rest);

absl::StatusOr<std::unique_ptr<Store>> OpenLocalPath(std::string_view path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(std::filesystem::path(path), ec);
  if (ec)
    return absl::InvalidArgumentError(
        StoreCat("local repository path \"", path, "\": ", ec.message()));
  return NewLocalStore(absolute);
}

// "memory:" is a fresh store; "memory:NAME" (or "memory://NAME") a shared one.
absl::StatusOr<std::unique_ptr<Store>> OpenMemory(std::string_view name) {
  if (name.empty()) return NewMemoryStore();
  return OpenNamedMemoryStore(name);
}

std::optional<int> HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// "file:///abs/path" (or "file://localhost/abs/path"); %XX escapes decoded.
absl::StatusOr<std::unique_ptr<Store>> OpenFileUrl(std::string_view rest) {
  if (rest.starts_with("localhost/")) rest.remove_prefix(std::string_view("localhost").size());
  if (!rest.starts_with("/"))
    return absl::InvalidArgumentError(
        "file:// location must name an absolute local path, as in file:///srv/repo");
  std::string path;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] != '%') {
      path += rest[i];
      continue;
    }
    std::optional<int> hi = i + 1 < rest.size() ? HexDigit(rest[i + 1]) : std::nullopt;
    std::optional<int> lo = i + 2 < rest.size() ? HexDigit(rest[i + 2]) : std::nullopt;
    if (!hi || !lo)
      return absl::InvalidArgumentError(
          StoreCat("file:// location has a bad %-escape \"", rest.substr(i, 3), "\""));
    path += static_cast<char>(*hi * 16 + *lo);
    i += 2;
  }
  if (path.find('\0') != std::string::npos)
    return absl::InvalidArgumentError("file:// location contains a NUL byte");
  return NewLocalStore(std::filesystem::path(path).lexically_normal());
}

// Network stores meet dropped connections, 503s and throttling: each is
// opened inside the retry decorator.
template <absl::StatusOr<std::unique_ptr<Store>> (*Open)(std::string_view)>
absl::StatusOr<std::unique_ptr<Store>> WithRetries(std::string_view rest) {
  auto store = Open(rest);
  if (!store.ok()) return store.status();
  return NewRetryStore(std::move(*store));
}

struct Scheme {
  std::string_view name;
  std::string_view example;  // For the "supported schemes" message.
  StoreFactory open;
};

constexpr Scheme kSchemes[] = {
    {"file", "file:///absolute/path", OpenFileUrl},
    {"memory", "memory:[NAME]", OpenMemory},
    {"s3", "s3://bucket/prefix", WithRetries<OpenS3Location>},
    {"azure", "azure://container/prefix", WithRetries<OpenAzureLocation>},
    {"gs", "gs://bucket/prefix", WithRetries<OpenGcsLocation>},
    {"http", "http://host:port/NAME", WithRetries<OpenHttpLocation>},
    {"https", "https://host:port/NAME", WithRetries<OpenHttpsLocation>},
};

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Anything else before
// "://" is part of a local path, not a scheme.
bool IsSchemeName(std::string_view s) {
  if (s.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  return true;
}

std::string SupportedSchemes() {
  std::string out;
  for (const Scheme& scheme : kSchemes) out += StoreCat(scheme.example, ", ");
  return StoreCat(out, "or a local path");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenStore(std::string_view location) {
  if (location.empty()) return absl::InvalidArgumentError("repository location is empty");
  size_t sep = location.find("://");
  if (sep != std::string_view::npos && IsSchemeName(location.substr(0, sep))) {
    std::string scheme(location.substr(0, sep));
    absl::AsciiStrToLower(&scheme);
    for (const Scheme& entry : kSchemes)
      if (entry.name == scheme) return entry.open(location.substr(sep + 3));
    // Only the scheme is echoed: the rest of a URL may carry credentials.
    return absl::InvalidArgumentError(StoreCat("unknown repository location scheme \"", scheme,
                                               "://\"; supported: ", SupportedSchemes()));
  }
  constexpr std::string_view kMemory = "memory:";
  if (location.starts_with(kMemory)) return OpenMemory(location.substr(kMemory.size()));
  return OpenLocalPath(location);
}

}  // namespace coffer
