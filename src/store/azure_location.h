// azure://CONTAINER[/PREFIX] plus the environment → AzureStoreOptions.
//
// Credentials, in this order (the first that is set is used alone):
//  1. AZURE_STORAGE_CONNECTION_STRING: "Key=Value;…" with AccountName,
//     AccountKey, SharedAccessSignature, BlobEndpoint (a custom endpoint, e.g.
//     Azurite's path-style http://127.0.0.1:10000/devstoreaccount1),
//     DefaultEndpointsProtocol (https by default), EndpointSuffix
//     (core.windows.net by default), or UseDevelopmentStorage=true (Azurite on
//     127.0.0.1:10000 with its published account). Keys are case-insensitive;
//     other services' endpoints (QueueEndpoint, …) are ignored, unknown keys
//     are an error.
//  2. AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY (Shared Key) or
//     AZURE_STORAGE_SAS_TOKEN (with or without a leading '?').
// With both a key and a SAS, the key is used. Without BlobEndpoint the
// endpoint is https://ACCOUNT.blob.core.windows.net.
//
// The prefix is taken literally (no %-decoding) and must be a valid object
// name path; a trailing '/' is allowed. Messages say which part of the URL or
// which variable is wrong and never quote a key, a SAS token or a whole
// connection string.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "store/azure_store.h"

namespace coffer {

// Looks up an environment variable; nullopt when unset or empty.
using AzureEnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// The process environment.
std::optional<std::string> AzureProcessEnvironment(std::string_view name);

struct AzureConnectionString {
  std::string account_name;
  std::string account_key;              // As written (base64).
  std::string shared_access_signature;  // As written.
  std::string blob_endpoint;
  std::string default_endpoints_protocol;  // "http" / "https"; empty when absent.
  std::string endpoint_suffix;
  bool use_development_storage = false;
};

// Parses "Key=Value;Key=Value;…" (values may contain '='; empty segments are
// skipped). InvalidArgument naming the offending key or segment number.
absl::StatusOr<AzureConnectionString> ParseAzureConnectionString(std::string_view text);

struct AzureContainerPath {
  std::string container;
  std::string prefix;  // "" or "a/b" (no trailing '/').
};

// Splits "container/prefix" and checks both. InvalidArgument naming the part.
absl::StatusOr<AzureContainerPath> ParseAzureLocationPath(std::string_view rest);

// Options for the location `rest` (after "azure://") with credentials from
// `env`. InvalidArgument naming the URL part or variable that is wrong or
// missing.
absl::StatusOr<AzureStoreOptions> ResolveAzureLocation(std::string_view rest,
                                                       const AzureEnvLookup& env);

// "https://ACCOUNT.blob.SUFFIX".
std::string AzureDefaultEndpoint(std::string_view account, std::string_view protocol = "https",
                                 std::string_view suffix = "core.windows.net");

// An endpoint split for building and signing URLs.
struct AzureEndpoint {
  std::string origin;     // "http://127.0.0.1:10000"
  std::string base_path;  // "/devstoreaccount1" or "" (never a trailing '/').
};
// InvalidArgument (naming `source`) unless `endpoint` is an http(s) URL with a
// host and no user info, query or fragment.
absl::StatusOr<AzureEndpoint> ParseAzureEndpoint(std::string_view endpoint,
                                                 std::string_view source);

// The account a default or path-style endpoint names ("acct" of
// acct.blob.core.windows.net, the first path segment otherwise); empty if none.
std::string AzureAccountFromEndpoint(const AzureEndpoint& endpoint);

// The decoded account key. InvalidArgument naming `source` (never echoing the
// key) when it is not base64.
absl::StatusOr<Bytes> DecodeAzureAccountKey(std::string_view key, std::string_view source);

// The SAS token without a leading '?'. InvalidArgument naming `source` (never
// echoing the token) when it is not a query string with a "sig" parameter.
absl::StatusOr<std::string> NormalizeAzureSasToken(std::string_view token, std::string_view source);

}  // namespace coffer
