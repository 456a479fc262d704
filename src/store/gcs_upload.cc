#include "store/gcs_upload.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "store/gcs_location.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

using nlohmann::json;

constexpr uint64_t kChunkGranule = 256 * 1024;

std::string Query(const GcsUpload& upload, std::string_view upload_type) {
  return StoreCat(upload.upload_url, "?uploadType=", upload_type,
                  upload.if_absent ? "&ifGenerationMatch=0" : "");
}

std::string RandomBoundary() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return StoreCat("coffer-", hex);
}

bool Contains(ByteView data, std::string_view needle) {
  auto it = std::search(data.begin(), data.end(),
                        std::boyer_moore_horspool_searcher(needle.begin(), needle.end()));
  return it != data.end();
}

bool Retryable(int status) { return status == 408 || status == 429 || status >= 500; }

// What a 308 says the server has: the end of "Range: bytes=0-N" (N+1), or 0
// without a Range. nullopt when the header is malformed.
std::optional<uint64_t> PersistedBytes(const HttpResponse& response) {
  std::optional<std::string_view> range = response.Header("range");
  if (!range) return 0;
  constexpr std::string_view kPrefix = "bytes=0-";
  if (!range->starts_with(kPrefix)) return std::nullopt;
  std::string_view last = range->substr(kPrefix.size());
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(last.data(), last.data() + last.size(), value);
  if (ec != std::errc() || end != last.data() + last.size() || value == UINT64_MAX)
    return std::nullopt;
  return value + 1;
}

// One resumable session, from the first chunk to the final answer.
class ResumableSession {
 public:
  ResumableSession(const GcsSender& send, const GcsUpload& upload,
                   const GcsResumableOptions& options, std::string uri)
      : send_(send), upload_(upload), options_(options), uri_(std::move(uri)) {}

  absl::StatusOr<HttpResponse> Run() {
    const uint64_t total = upload_.data.size();
    while (true) {
      const uint64_t end = options_.chunk_bytes == 0
                               ? total
                               : std::min<uint64_t>(total, offset_ + options_.chunk_bytes);
      absl::StatusOr<HttpResponse> reply = SendChunk(offset_, end);
      // A failure worth retrying: ask the server where it stands.
      while (Failed(reply)) {
        if (++failures_ > options_.max_retries) return Cancel(std::move(reply));
        std::this_thread::sleep_for(absl::ToChronoNanoseconds(
            options_.retry_delay * static_cast<double>(1 << std::min(failures_ - 1, 10))));
        reply = send_(Request(StoreCat("bytes */", total), /*final_chunk=*/false));
      }
      if (!reply.ok()) return Cancel(std::move(reply));
      if (reply->status == 200 || reply->status == 201) return reply;
      if (reply->status != 308) return Cancel(std::move(reply));
      std::optional<uint64_t> persisted = PersistedBytes(*reply);
      if (!persisted || *persisted > end || *persisted > total)
        return Cancel(absl::UnavailableError(StoreCat(
            "resumable upload: the server reported an impossible Range \"",
            reply->Header("range").value_or(""), "\" after bytes up to ", end, " of ", total)));
      if (*persisted == total)
        return Cancel(absl::UnavailableError(
            StoreCat("resumable upload: the server has all ", total, " bytes but did not finish")));
      if (*persisted > offset_) {
        failures_ = 0;
      } else if (++failures_ > options_.max_retries) {
        return Cancel(absl::UnavailableError(
            StoreCat("resumable upload: no progress at byte ", offset_, " of ", total)));
      }
      offset_ = *persisted;
    }
  }

 private:
  static bool Failed(const absl::StatusOr<HttpResponse>& reply) {
    if (!reply.ok()) return reply.status().code() == absl::StatusCode::kUnavailable;
    return Retryable(reply->status);
  }

  HttpRequest Request(std::string content_range, bool final_chunk, ByteView body = {}) const {
    HttpRequest request{"PUT", uri_, {{"Content-Range", std::move(content_range)}}, body};
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/octet-stream");
    if (final_chunk)
      request.headers.emplace_back("X-Goog-Hash",
                                   StoreCat("crc32c=", upload_.crc32c, ",md5=", upload_.md5));
    return request;
  }

  absl::StatusOr<HttpResponse> SendChunk(uint64_t first, uint64_t end) {
    const uint64_t total = upload_.data.size();
    ByteView chunk = upload_.data.subspan(first, end - first);
    return send_(Request(StoreCat("bytes ", first, "-", end - 1, "/", total), end == total, chunk));
  }

  // Ends the session on the server (GCS answers 499) and passes `result` on.
  absl::StatusOr<HttpResponse> Cancel(absl::StatusOr<HttpResponse> result) {
    // Google documents the cancel request with an explicit zero length.
    (void)send_(HttpRequest{"DELETE", uri_, {{"Content-Length", "0"}}, {}});
    return result;
  }

  const GcsSender& send_;
  const GcsUpload& upload_;
  const GcsResumableOptions& options_;
  const std::string uri_;
  uint64_t offset_ = 0;
  int failures_ = 0;
};

}  // namespace

absl::StatusOr<std::string> GcsUploadMetadata(const GcsUpload& upload) {
  json metadata = {{"name", upload.full_name},
                   {"contentType", "application/octet-stream"},
                   {"crc32c", upload.crc32c},
                   {"md5Hash", upload.md5}};
  if (!upload.retention.empty()) metadata["retention"] = json::parse(upload.retention);
  try {
    return metadata.dump();
  } catch (const json::type_error&) {
    return absl::InvalidArgumentError("GCS object names must be valid UTF-8");
  }
}

absl::StatusOr<HttpResponse> GcsMultipartUpload(const GcsSender& send, const GcsUpload& upload) {
  absl::StatusOr<std::string> metadata = GcsUploadMetadata(upload);
  if (!metadata.ok()) return metadata.status();
  std::string boundary = RandomBoundary();
  while (Contains(upload.data, StoreCat("--", boundary))) boundary = RandomBoundary();
  const std::string head =
      StoreCat("--", boundary, "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n",
               *metadata, "\r\n--", boundary, "\r\nContent-Type: application/octet-stream\r\n\r\n");
  const std::string tail = StoreCat("\r\n--", boundary, "--\r\n");
  Bytes body;
  body.reserve(head.size() + upload.data.size() + tail.size());
  body.insert(body.end(), head.begin(), head.end());
  body.insert(body.end(), upload.data.begin(), upload.data.end());
  body.insert(body.end(), tail.begin(), tail.end());
  return send(HttpRequest{"POST",
                          Query(upload, "multipart"),
                          {{"Content-Type", StoreCat("multipart/related; boundary=", boundary)}},
                          body});
}

absl::StatusOr<HttpResponse> GcsResumableUpload(const GcsSender& send, const GcsUpload& upload,
                                                const GcsResumableOptions& options) {
  if (options.chunk_bytes % kChunkGranule != 0)
    return absl::InvalidArgumentError(StoreCat("resumable upload: chunk size ", options.chunk_bytes,
                                               " is not a multiple of 256 KiB"));
  absl::StatusOr<std::string> metadata = GcsUploadMetadata(upload);
  if (!metadata.ok()) return metadata.status();
  absl::StatusOr<HttpResponse> started =
      send(HttpRequest{"POST",
                       Query(upload, "resumable"),
                       {{"Content-Type", "application/json; charset=UTF-8"},
                        {"X-Upload-Content-Type", "application/octet-stream"},
                        {"X-Upload-Content-Length", std::to_string(upload.data.size())}},
                       AsBytes(*metadata)});
  if (!started.ok() || (started->status != 200 && started->status != 201)) return started;
  std::optional<std::string_view> location = started->Header("location");
  if (!location || location->empty())
    return absl::UnavailableError(
        "resumable upload: the server started a session but sent no Location");
  std::string uri(*location);
  // A relative Location is resolved against the upload URL's origin.
  if (uri.starts_with('/')) uri = UrlOrigin(upload.upload_url) + uri;
  return ResumableSession(send, upload, options, std::move(uri)).Run();
}

}  // namespace coffer
