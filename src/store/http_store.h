// The coffer-server store: a repository kept by coffer-server
// (examples/server), reached as "http://host:port/NAME[/more]" or
// "https://…". The protocol is in docs/SERVER.md; in short, with BASE the
// URL's path and NAME an object name, each path segment percent-encoded:
//   Put           PUT BASE/NAME (body = the object)        200/201
//   PutIfAbsent   the same with "If-None-Match: *"         412 -> AlreadyExists
//   Get           GET BASE/NAME                            200
//   GetRange      GET BASE/NAME?offset=O&length=L          200, 416 -> InvalidArgument
//   Stat          GET BASE/NAME?stat                       {"size":N}
//   List          GET BASE/?list&prefix=P&after=A&limit=N  {"objects":[…],"truncated":b}
//                 page after page, in name order
//   Delete        DELETE BASE/NAME                         204
//   CheckDeletable GET BASE/?info: {"append_only":true} is PermissionDenied
// Other answers: 401 Unauthenticated (credentials), 403 PermissionDenied
// (another user's path, or a delete/overwrite on an append-only server: the
// server's message says so and is passed on), 404 NotFound, 429 and 5xx
// Unavailable (the retry decorator tries again).
//
// Credentials: HTTP Basic from COFFER_HTTP_USER / COFFER_HTTP_PASSWORD (a
// user name in the URL, "http://alice@host/…", overrides the first; a
// password in the URL is refused, so it never sits in shell history or
// process lists). TLS is verified; COFFER_CACERT names a private CA bundle
// (the CLI's --cacert sets it).
//
// Thread-safety: every method may be called from many threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/http_client.h"
#include "store/store.h"

namespace coffer {

struct HttpStoreOptions {
  std::string base_url;  // "http(s)://host[:port]/path", no trailing '/'
  std::string user;      // empty: no Authorization header
  std::string password;
  HttpClientOptions http;
  size_t list_page = 1000;  // objects asked for per List request
};

absl::StatusOr<std::unique_ptr<Store>> NewHttpStore(HttpStoreOptions options);

// For the store registry: `rest` is what follows "http://" or "https://";
// credentials and CA from the environment as described above.
absl::StatusOr<std::unique_ptr<Store>> OpenHttpLocation(std::string_view rest);
absl::StatusOr<std::unique_ptr<Store>> OpenHttpsLocation(std::string_view rest);

// "a/b c" -> "a/b%20c": every byte but unreserved ones and '/' escaped.
std::string HttpStorePathEscape(std::string_view name);

}  // namespace coffer
