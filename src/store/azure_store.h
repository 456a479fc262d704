// The Azure Blob store: objects are block blobs named PREFIX + object name in
// one container, reached over the Blob service REST API (x-ms-version
// 2021-08-06) through the shared HttpClient.
//
// Location: azure://CONTAINER[/PREFIX]. Credentials and endpoint come from
// the environment (see azure_location.h): AZURE_STORAGE_CONNECTION_STRING, or
// AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY (Shared Key) or
// AZURE_STORAGE_SAS_TOKEN; TLS settings from COFFER_CACERT / COFFER_CAPATH.
//
// Behaviour:
// - Put / PutIfAbsent: objects up to `single_put_threshold` bytes go up in one
//   Put Blob; larger ones as Put Block (uploaded `upload_concurrency` at a
//   time) + Put Block List, which makes them visible at once and whole. Every
//   body carries Content-MD5, so the service rejects one damaged on the way;
//   the blob's MD5 is stored, and a whole-object Get checks it (DataLoss on a
//   mismatch). PutIfAbsent sends If-None-Match: * on Put Blob or on Put Block
//   List: atomic, AlreadyExists when the blob exists. Blocks of an upload that
//   fails are never committed (the service discards them after a week).
// - Get / GetRange stream the body into the result buffer (x-ms-range for a
//   range); Stat is Get Blob Properties; Delete is Delete Blob; List is List
//   Blobs with the prefix and marker paging (`list_page_size` per page).
// - Prepare() creates the container; one that already exists is fine.
// - Errors name the store (Describe(): "azure://container/prefix (account
//   A)") and the object, with Azure's error code; secrets (account key, SAS
//   signature, Authorization header) never appear in a message.
// - Names: Azure turns '\' into '/' and drops a path segment's trailing dots,
//   so object names containing '\' or a component ending in '.' would alias
//   other names: they are InvalidArgument here.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/http_client.h"
#include "store/store.h"

namespace coffer {

// The service version every request is sent with (x-ms-version).
inline constexpr std::string_view kAzureApiVersion = "2021-08-06";

struct AzureStoreOptions {
  // Blob service endpoint: "https://ACCOUNT.blob.core.windows.net", or a
  // path-style one such as Azurite's "http://127.0.0.1:10000/devstoreaccount1".
  // No query; a trailing '/' is ignored.
  std::string endpoint;
  // Storage account: signs Shared Key requests and names the store in messages.
  std::string account;
  // Exactly one of these authenticates (the key wins when both are set):
  std::string account_key;  // Base64, as the portal shows it (Shared Key).
  std::string sas_token;    // "sv=...&sig=..." with or without a leading '?'.
  std::string container;    // 3-63 of a-z 0-9 '-', as Azure requires.
  std::string prefix;       // "" or a valid object-name path ("backups/host1"); '/' is added.

  // Objects larger than this go up in blocks (Azure's Put Blob limit is 5000 MiB).
  uint64_t single_put_threshold = 32ull << 20;
  // Block size for those (raised when an object would need more than Azure's
  // 50,000 blocks); at most 4000 MiB.
  uint64_t block_size = 8ull << 20;
  // Blocks of one object uploaded at once.
  size_t upload_concurrency = 4;
  // List Blobs maxresults; 0 leaves it to the service (5000).
  int list_page_size = 0;

  HttpClientOptions http = HttpClientOptionsFromEnvironment();
};

// A store for `options`. InvalidArgument naming the field for options that
// cannot work (bad container name or prefix, no credential, a key that is not
// base64, a non-http(s) endpoint, zero block size ...); no request is sent.
absl::StatusOr<std::unique_ptr<Store>> NewAzureStore(AzureStoreOptions options);

// The registry's entry: `rest` is the location after "azure://", e.g.
// "container/some/prefix"; credentials from the environment (azure_location.h).
absl::StatusOr<std::unique_ptr<Store>> OpenAzureLocation(std::string_view rest);

}  // namespace coffer
