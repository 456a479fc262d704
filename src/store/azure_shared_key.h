// Azure Storage "Shared Key" authorization (Blob service, version 2009-09-19
// and later), as a pure function: a request's method, path, query and headers
// in; the string to sign, its HMAC-SHA256 signature and the Authorization
// header out. No I/O, no clock: the caller sends x-ms-date itself, so a known
// request reproduces exactly.
//
// Spec: "Authorize with Shared Key" (Azure Storage REST API reference). The
// string to sign is
//
//   VERB \n Content-Encoding \n Content-Language \n Content-Length \n
//   Content-MD5 \n Content-Type \n Date \n If-Modified-Since \n If-Match \n
//   If-None-Match \n If-Unmodified-Since \n Range \n
//   CanonicalizedHeaders CanonicalizedResource
//
// where each standard header is its value as sent or empty when not sent,
// and Content-Length is empty when it is 0 (version 2015-02-21 and later);
//  - CanonicalizedHeaders: every x-ms-* header, name lower-cased, sorted by
//    name, value trimmed with runs of white space collapsed, as "name:value\n";
//  - CanonicalizedResource: "/" + account + the URL path exactly as sent
//    (percent-encoded), then for each query parameter, sorted by lower-cased
//    name, "\nname:value" with the value decoded; several values of one name
//    are sorted and joined with ','.
// With a path-style endpoint (Azurite: http://host:port/devstoreaccount1) the
// URL path already starts with the account, so the resource reads
// "/devstoreaccount1/devstoreaccount1/container/blob".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/bytes.h"

namespace coffer {

using AzurePairs = std::vector<std::pair<std::string, std::string>>;

struct AzureSharedKeyRequest {
  std::string method;           // "GET", "PUT", ...
  std::string encoded_path;     // The URL's path as sent: "/container/a%20b"; empty means "/".
  AzurePairs query;             // Decoded names and values, any order.
  AzurePairs headers;           // Headers as sent, any case; Content-Length excluded.
  uint64_t content_length = 0;  // The body's size (signed as empty when 0).
};

struct AzureSharedKeySignature {
  std::string string_to_sign;
  std::string signature;      // Base64 of HMAC-SHA256(key, string_to_sign).
  std::string authorization;  // "SharedKey account:signature".
};

// The RFC 1123 date Azure wants in x-ms-date: "Sun, 11 Oct 2009 21:49:13 GMT".
std::string AzureHttpDate(absl::Time time);

// Base64 of HMAC-SHA256(key, message): the Shared Key and SAS signature.
std::string AzureHmacSha256Base64(ByteView key, std::string_view message);

// The string to sign for `request` (see above). InvalidArgument when a header
// name or value holds a line break, or an x-ms-* header appears twice.
absl::StatusOr<std::string> AzureSharedKeyStringToSign(std::string_view account,
                                                       const AzureSharedKeyRequest& request);

// Signs `request` with the decoded account key. InvalidArgument as above, or
// for an empty account, method or key; messages never quote the key.
absl::StatusOr<AzureSharedKeySignature> SignAzureSharedKey(const AzureSharedKeyRequest& request,
                                                           std::string_view account, ByteView key);

}  // namespace coffer
