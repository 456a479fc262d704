// From "s3://BUCKET/PREFIX" and the environment to S3StoreOptions: URL
// parsing, bucket-name rules, and the credential / region / endpoint /
// addressing lookup that s3_store.h documents. Pure apart from reading the
// AWS files; the environment comes in as a lookup function so tests need not
// touch the process environment.
//
// Errors say which part is wrong and what was expected, and never contain a
// secret: a location with user info ("s3://KEY:SECRET@bucket") is refused
// without echoing it, and credential values never appear in messages.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/s3_store.h"

namespace coffer {

struct S3Location {
  std::string bucket;
  std::string prefix;  // "" or "a/b": no leading, trailing or doubled '/'.
};

// Parses the part after "s3://": "BUCKET", "BUCKET/", "BUCKET/PREFIX" or
// "BUCKET/PREFIX/". InvalidArgument naming the bad part otherwise.
absl::StatusOr<S3Location> ParseS3Location(std::string_view rest);

// S3's bucket naming rules: 3-63 characters of a-z 0-9 '.' '-', starting and
// ending with a letter or digit, no "..", not an IPv4 address.
absl::Status ValidateS3BucketName(std::string_view bucket);

// A store prefix: "" or '/'-separated components that are valid object-name
// components (no empty, "." or ".." component, no NUL).
absl::Status ValidateS3Prefix(std::string_view prefix);

// "COFFER_S3_ADDRESSING" style values: "path", "virtual", "auto" (any case).
absl::StatusOr<S3AddressingStyle> ParseS3AddressingStyle(std::string_view value,
                                                         std::string_view source);

// An endpoint URL split into what requests need.
struct S3EndpointUrl {
  std::string scheme;     // "http" or "https"
  std::string host_port;  // "127.0.0.1:9000", "s3.example.com"; a default port is dropped.
};

// Accepts "http(s)://host[:port][/]" only; InvalidArgument naming `source`
// (the variable or option the URL came from) otherwise. The URL is echoed
// without any user info.
absl::StatusOr<S3EndpointUrl> ParseS3EndpointUrl(std::string_view url, std::string_view source);

// Returns the value of an environment variable; nullopt (or "") when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// std::getenv.
EnvLookup ProcessEnvironment();

// Everything OpenS3Location needs: the location parsed, credentials, region,
// endpoint and addressing resolved from `env` and the AWS files, and the HTTP
// options from HttpClientOptionsFromEnvironment.
absl::StatusOr<S3StoreOptions> ResolveS3StoreOptions(std::string_view rest, const EnvLookup& env);

}  // namespace coffer
