#include "store/gcs_location.h"

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "base/utf8.h"
#include "store/percent_encoding.h"
#include "store/store.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool IsDottedDecimal(std::string_view s) {
  int parts = 0;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(start, end - start);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part)
      if (c < '0' || c > '9') return false;
    ++parts;
    start = end + 1;
  }
  return parts == 4;
}

// Why `bucket` is not a valid GCS bucket name, or empty when it is.
std::string BucketNameProblem(std::string_view bucket) {
  const bool dotted = bucket.find('.') != std::string_view::npos;
  if (bucket.size() < 3) return "must have at least 3 characters";
  if (bucket.size() > (dotted ? 222u : 63u))
    return dotted ? "must have at most 222 characters" : "must have at most 63 characters";
  for (char c : bucket)
    if (!IsLowerAlnum(c) && c != '-' && c != '_' && c != '.')
      return "may contain only lower-case letters, digits, '-', '_' and '.'";
  if (!IsLowerAlnum(bucket.front()) || !IsLowerAlnum(bucket.back()))
    return "must start and end with a letter or digit";
  size_t start = 0;
  while (start < bucket.size()) {
    size_t end = bucket.find('.', start);
    if (end == std::string_view::npos) end = bucket.size();
    if (end - start > 63) return "each dot-separated part must have at most 63 characters";
    if (end == start) return "must not contain \"..\"";
    start = end + 1;
  }
  if (IsDottedDecimal(bucket)) return "must not be an IP address";
  if (bucket.starts_with("goog")) return "must not start with \"goog\"";
  if (bucket.find("google") != std::string_view::npos ||
      bucket.find("g00gle") != std::string_view::npos)
    return "must not contain \"google\"";
  return "";
}

}  // namespace

std::string GcsNameProblem(std::string_view full_name) {
  if (full_name.empty()) return "GCS object names cannot be empty";
  if (full_name.size() > 1024) return "longer than GCS's limit of 1024 bytes (with the prefix)";
  if (!IsValidUtf8(full_name)) return "GCS object names must be valid UTF-8";
  if (full_name.find_first_of("\r\n") != std::string_view::npos)
    return "GCS object names cannot contain carriage returns or line feeds";
  return "";
}

std::string GcsLocation::Url() const {
  return prefix.empty() ? StoreCat("gs://", bucket) : StoreCat("gs://", bucket, "/", prefix);
}

std::string GcsLocation::FullName(std::string_view name) const {
  return prefix.empty() ? std::string(name) : StoreCat(prefix, "/", name);
}

absl::StatusOr<GcsLocation> ParseGcsLocation(std::string_view rest) {
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (bucket.empty())
    return absl::InvalidArgumentError(
        "gs:// location names no bucket; expected gs://BUCKET or gs://BUCKET/PREFIX");
  if (std::string problem = BucketNameProblem(bucket); !problem.empty())
    return absl::InvalidArgumentError(
        StoreCat("gs:// location: invalid bucket name \"", bucket, "\": ", problem));
  while (prefix.ends_with('/')) prefix.remove_suffix(1);
  if (!prefix.empty()) {
    if (absl::Status s = ValidateObjectName(prefix); !s.ok())
      return absl::InvalidArgumentError(StoreCat(
          "gs://", bucket, "/", prefix, ": the prefix is not usable: ", std::string(s.message())));
  }
  return GcsLocation{std::string(bucket), std::string(prefix)};
}

absl::StatusOr<std::string> NormalizeGcsEndpoint(std::string_view endpoint) {
  while (endpoint.ends_with('/')) endpoint.remove_suffix(1);
  size_t scheme_end = endpoint.find("://");
  std::string scheme =
      scheme_end == std::string_view::npos ? "" : std::string(endpoint.substr(0, scheme_end));
  absl::AsciiStrToLower(&scheme);
  if ((scheme != "http" && scheme != "https") || endpoint.size() <= scheme_end + 3)
    return absl::InvalidArgumentError(StoreCat(
        "GCS endpoint \"", endpoint, "\" must be http://HOST[:PORT] or https://HOST[:PORT]"));
  return std::string(endpoint);
}

std::optional<std::string> GcsEmulatorEndpointFromEnvironment() {
  const char* host = std::getenv("STORAGE_EMULATOR_HOST");
  if (host == nullptr || *host == '\0') return std::nullopt;
  std::string endpoint = host;
  if (endpoint.find("://") == std::string::npos) endpoint = "http://" + endpoint;
  while (endpoint.ends_with('/')) endpoint.pop_back();
  return endpoint;
}

std::string GcsPercentEncode(std::string_view s) { return PercentEncode(s); }

std::string GcsObjectUrl(std::string_view endpoint, std::string_view bucket,
                         std::string_view full_name) {
  return StoreCat(endpoint, "/storage/v1/b/", GcsPercentEncode(bucket), "/o/",
                  GcsPercentEncode(full_name));
}

std::string GcsListUrl(std::string_view endpoint, std::string_view bucket) {
  return StoreCat(endpoint, "/storage/v1/b/", GcsPercentEncode(bucket), "/o");
}

std::string GcsUploadUrl(std::string_view endpoint, std::string_view bucket) {
  return StoreCat(endpoint, "/upload/storage/v1/b/", GcsPercentEncode(bucket), "/o");
}

std::string UrlOrigin(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  size_t authority_end = url.find_first_of("/?#", scheme_end + 3);
  std::string origin(url.substr(0, authority_end));
  absl::AsciiStrToLower(&origin);
  return origin;
}

}  // namespace coffer
