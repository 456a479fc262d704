// HttpClient over libcurl's easy interface, with a pool of reusable handles.
#include "store/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

// Pre-sizing the body from Content-Length is capped so a lying server cannot
// make us allocate gigabytes before sending a byte.
constexpr uint64_t kMaxBodyReserve = 64ull << 20;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Per-request state the callbacks see.
struct Transfer {
  ByteView upload;
  size_t upload_offset = 0;
  bool expect_body = true;  // False for HEAD: Content-Length is not ours to reserve.
  int status = 0;           // Of the response being received.
  // Whether the blank line ending the response's header section arrived,
  // and whether the body is delimited (Content-Length or chunked). libcurl
  // accepts a response cut inside its headers, or a body that simply ends
  // when the connection closes, as complete; a dropped connection must not
  // pass for a short answer.
  bool headers_complete = false;
  bool body_delimited = false;
  const std::function<absl::Status(ByteView)>* sink = nullptr;  // Null: collect.
  absl::Status sink_status;
  HttpResponse* response = nullptr;

  bool Sinking() const { return sink != nullptr && *sink && status >= 200 && status < 300; }
};

size_t OnRead(char* buffer, size_t size, size_t count, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = std::min(size * count, t->upload.size() - t->upload_offset);
  if (n > 0) std::memcpy(buffer, t->upload.data() + t->upload_offset, n);
  t->upload_offset += n;
  return n;
}

// libcurl rewinds the body when it must resend it (e.g. a reused connection
// that turned out to be closed).
int OnSeek(void* userdata, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->upload.size())
    return CURL_SEEKFUNC_FAIL;
  t->upload_offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t OnWrite(char* data, size_t size, size_t count, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t n = size * count;
  if (t->Sinking()) {
    t->sink_status = (*t->sink)(ByteView(reinterpret_cast<const uint8_t*>(data), n));
    return t->sink_status.ok() ? n : CURL_WRITEFUNC_ERROR;
  }
  t->response->body.insert(t->response->body.end(), reinterpret_cast<uint8_t*>(data),
                           reinterpret_cast<uint8_t*>(data) + n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) {
    t->headers_complete = true;
    return n;
  }
  if (line.starts_with("HTTP/")) {
    // A new status line: an interim response (100 Continue) came before.
    t->response->headers.clear();
    t->status = 0;
    t->headers_complete = t->body_delimited = false;
    size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      std::string_view code = line.substr(space + 1, 3);
      std::from_chars(code.data(), code.data() + code.size(), t->status);
    }
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name = absl::AsciiStrToLower(std::string(line.substr(0, colon)));
  std::string value(absl::StripAsciiWhitespace(std::string(line.substr(colon + 1))));
  if (name == "content-length" || name == "transfer-encoding") t->body_delimited = true;
  if (t->expect_body && !t->Sinking() && name == "content-length") {
    uint64_t length = 0;
    if (std::from_chars(value.data(), value.data() + value.size(), length).ec == std::errc())
      t->response->body.reserve(std::min(length, kMaxBodyReserve));
  }
  t->response->headers.emplace_back(std::move(name), std::move(value));
  return n;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

absl::StatusCode CurlErrorCode(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return absl::StatusCode::kInvalidArgument;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return absl::StatusCode::kFailedPrecondition;
    case CURLE_OUT_OF_MEMORY:
      return absl::StatusCode::kResourceExhausted;
    default:
      // Refused, reset, timed out, DNS, TLS handshake, truncated reply: the
      // network's fault, so worth another attempt.
      return absl::StatusCode::kUnavailable;
  }
}

}  // namespace

// Idle easy handles (each keeps its open connections and TLS sessions) and a
// count of those in use, which never exceeds `limit`.
struct HttpClient::Pool {
  explicit Pool(size_t limit) : limit(limit) {}
  const size_t limit;
  mutable absl::Mutex mu;
  std::vector<CURL*> idle ABSL_GUARDED_BY(mu);
  size_t active ABSL_GUARDED_BY(mu) = 0;

  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return active < limit; }

  // Waits for a free slot. Null when libcurl cannot allocate a handle (the
  // slot is then still taken: Release(nullptr) gives it back).
  CURL* Acquire() {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(this, &Pool::HasRoom));
    ++active;
    if (idle.empty()) return curl_easy_init();
    CURL* curl = idle.back();
    idle.pop_back();
    return curl;
  }

  void Release(CURL* curl) {
    absl::MutexLock lock(&mu);
    --active;
    if (curl != nullptr) idle.push_back(curl);
  }
};

std::optional<std::string_view> HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return std::nullopt;
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>(options_.max_parallel_requests)) {}

HttpClient::~HttpClient() {
  absl::MutexLock lock(&pool_->mu);
  for (CURL* curl : pool_->idle) curl_easy_cleanup(curl);
}

HttpClientOptions HttpClientOptionsFromEnvironment() {
  HttpClientOptions options;
  if (const char* file = std::getenv("COFFER_CACERT"); file && *file) options.ca_file = file;
  if (const char* dir = std::getenv("COFFER_CAPATH"); dir && *dir) options.ca_dir = dir;
  return options;
}

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  if (options.max_parallel_requests == 0)
    return absl::InvalidArgumentError("HTTP client: max_parallel_requests must be at least 1");
  std::error_code ec;
  if (!options.ca_file.empty() && !std::filesystem::is_regular_file(options.ca_file, ec))
    return absl::InvalidArgumentError(
        StoreCat("HTTP client: CA file \"", options.ca_file, "\" is not a readable file"));
  if (!options.ca_dir.empty() && !std::filesystem::is_directory(options.ca_dir, ec))
    return absl::InvalidArgumentError(
        StoreCat("HTTP client: CA directory \"", options.ca_dir, "\" is not a directory"));
  GlobalInitOnce();
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(options)));
}

size_t HttpClient::IdleHandles() const {
  absl::MutexLock lock(&pool_->mu);
  return pool_->idle.size();
}

absl::StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  const std::string where = StoreCat("HTTP ", request.method, " ", RedactUrl(request.url));
  if (request.method.empty() || HasLineBreak(request.method) ||
      request.method.find(' ') != std::string::npos)
    return absl::InvalidArgumentError(StoreCat(where, ": bad method"));

  curl_slist* header_list = nullptr;
  bool has_expect = false;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find(':') != std::string::npos) {
      curl_slist_free_all(header_list);
      // The name alone: a value may be a credential.
      return absl::InvalidArgumentError(StoreCat(
          where, ": header \"", HasLineBreak(name) ? "" : name, "\" has a bad name or value"));
    }
    has_expect |= absl::EqualsIgnoreCase(name, "expect");
    // "Name;" is libcurl's way to send a header with an empty value.
    std::string line = value.empty() ? StoreCat(name, ";") : StoreCat(name, ": ", value);
    header_list = curl_slist_append(header_list, line.c_str());
  }
  // No "Expect: 100-continue" round trip before every upload unless asked for.
  if (!has_expect) header_list = curl_slist_append(header_list, "Expect:");

  HttpResponse response;
  Transfer transfer;
  transfer.upload = request.body;
  transfer.expect_body = request.method != "HEAD";
  transfer.response = &response;
  transfer.sink = &request.body_sink;
  char error_buffer[CURL_ERROR_SIZE] = {0};

  CURL* curl = pool_->Acquire();
  if (curl == nullptr) {
    pool_->Release(nullptr);
    curl_slist_free_all(header_list);
    return absl::ResourceExhaustedError(StoreCat(where, ": cannot create a libcurl handle"));
  }
  // Reset drops the previous request's options but keeps the handle's
  // connection cache, which is the point of pooling.
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // Threads: no SIGALRM for DNS timeouts.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  // Signed requests are not followed elsewhere: a redirect is the store's answer.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_second);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.ca_dir.empty()) curl_easy_setopt(curl, CURLOPT_CAPATH, options_.ca_dir.c_str());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);

  const bool sends_body =
      request.method == "PUT" || request.method == "POST" || !request.body.empty();
  if (request.method == "GET" && request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (sends_body) {
    // UPLOAD streams the body from OnRead with a Content-Length (never
    // chunked) and, unlike POSTFIELDS, adds no Content-Type of its own that a
    // signature would not cover. It means PUT; other methods are renamed.
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
    if (request.method != "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  long connects = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  // The handle must not keep pointers into this frame once it is back in the pool.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  pool_->Release(curl);
  curl_slist_free_all(header_list);

  if (code == CURLE_WRITE_ERROR && !transfer.sink_status.ok()) return transfer.sink_status;
  if (code != CURLE_OK) {
    std::string detail = error_buffer;
    // libcurl names hosts and ports, not queries; drop the detail should it
    // ever quote the part of the URL that may hold a signature.
    size_t query = request.url.find('?');
    if (query != std::string::npos && query + 1 < request.url.size() &&
        detail.find(request.url.substr(query + 1)) != std::string::npos)
      detail.clear();
    return absl::Status(CurlErrorCode(code),
                        StoreCat(where, ": ", curl_easy_strerror(code),
                                 detail.empty() ? "" : StoreCat(" (", detail, ")")));
  }
  if (!transfer.headers_complete)
    return absl::UnavailableError(
        StoreCat(where, ": the connection closed in the middle of the response headers"));
  // A success with a body must say how long it is: otherwise a connection
  // that dropped would look like a complete, shorter body.
  if (status >= 200 && status < 300 && status != 204 && transfer.expect_body &&
      !transfer.body_delimited)
    return absl::UnavailableError(StoreCat(
        where, ": the response has neither Content-Length nor chunked encoding, so a dropped "
               "connection cannot be told from its end"));
  response.status = static_cast<int>(status);
  response.new_connections = connects;
  return response;
}

std::string RedactUrl(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  size_t scheme_end = url.find("://");
  size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t path_start = url.find('/', authority_start);
  std::string_view authority =
      url.substr(authority_start, path_start == std::string_view::npos ? std::string_view::npos
                                                                       : path_start - authority_start);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return StoreCat(url.substr(0, authority_start), authority.substr(at + 1),
                  path_start == std::string_view::npos ? "" : url.substr(path_start));
}

absl::StatusCode HttpStatusToCode(int status) {
  if (status >= 200 && status < 300) return absl::StatusCode::kOk;
  switch (status) {
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
    case 412:
      return absl::StatusCode::kFailedPrecondition;
    case 408:
    case 429:
      return absl::StatusCode::kUnavailable;
    default:
      break;
  }
  if (status >= 500 && status < 600) return absl::StatusCode::kUnavailable;
  if (status >= 400 && status < 500) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kUnknown;
}

}  // namespace coffer
