// Where a GCS store's objects live: the "gs://bucket/prefix" location, the
// JSON API endpoint, and the request URLs built from them.
//
// Endpoint: https://storage.googleapis.com, or the emulator named by
// STORAGE_EMULATOR_HOST ("host:port" or "http://host:port"; http:// is
// assumed without a scheme), as Google's own client libraries read it.
//
// Object names are percent-encoded wherever they go into a URL: every byte
// outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~) becomes %XX, '/'
// included, so "a/b c" is the single path segment "a%2Fb%20c" in /o/NAME and
// the query value "a%2Fb%20c" in ?prefix= (where '+' would otherwise read as
// a space).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace coffer {

inline constexpr std::string_view kGcsDefaultEndpoint = "https://storage.googleapis.com";

struct GcsLocation {
  std::string bucket;
  // Object-name prefix without leading or trailing '/'; empty for the whole
  // bucket. Objects are stored as "<prefix>/<name>".
  std::string prefix;

  // "gs://bucket" or "gs://bucket/prefix".
  std::string Url() const;
  // The name GCS knows an object by.
  std::string FullName(std::string_view name) const;
};

// Parses the part of a location after "gs://": "bucket[/prefix]". Trailing
// '/' are ignored. InvalidArgument, saying what is wrong, for a missing or
// invalid bucket name (GCS rules: 3-63 characters, or up to 222 with dots and
// at most 63 between them; lower-case letters, digits, '-', '_', '.'; starting
// and ending with a letter or digit; not an IP address; no "goog" prefix and
// no "google") or a prefix that is not a valid object name ("a//b", "..").
absl::StatusOr<GcsLocation> ParseGcsLocation(std::string_view rest);

// The emulator endpoint from STORAGE_EMULATOR_HOST ("http://" added when no
// scheme is given, trailing '/' dropped); nullopt when the variable is unset
// or empty.
std::optional<std::string> GcsEmulatorEndpointFromEnvironment();

// Checks an endpoint: "http://" or "https://" followed by a host; trailing
// '/' dropped. InvalidArgument otherwise.
absl::StatusOr<std::string> NormalizeGcsEndpoint(std::string_view endpoint);

// Why `full_name` cannot name a GCS object, or empty when it can: GCS names
// are 1..1024 bytes of valid UTF-8 without carriage return or line feed.
std::string GcsNameProblem(std::string_view full_name);

// Percent-encodes everything outside the unreserved characters (see above).
std::string GcsPercentEncode(std::string_view s);

// JSON API URLs. `endpoint` as from NormalizeGcsEndpoint; names are full
// object names (GcsLocation::FullName), encoded here.
std::string GcsObjectUrl(std::string_view endpoint, std::string_view bucket,
                         std::string_view full_name);
std::string GcsListUrl(std::string_view endpoint, std::string_view bucket);
std::string GcsUploadUrl(std::string_view endpoint, std::string_view bucket);

// "scheme://host[:port]" of a URL, lower-cased, for deciding whether a URL
// the server handed back (a resumable session) may receive our credentials.
std::string UrlOrigin(std::string_view url);

}  // namespace coffer
