#include "store/gcs_store.h"

#include <mutex>

#include "store/object_lock.h"

#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "base/base64.h"
#include "base/status_macros.h"
#include "store/checksums.h"
#include "store/gcs_errors.h"
#include "store/gcs_upload.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

using nlohmann::json;

constexpr uint64_t kChunkGranule = 256 * 1024;

std::string Crc32cValueBase64(uint32_t crc) {
  const uint8_t big_endian[4] = {uint8_t(crc >> 24), uint8_t(crc >> 16), uint8_t(crc >> 8),
                                 uint8_t(crc)};
  return Base64Encode(ByteView(big_endian, 4));
}

// An unsigned integer JSON field that GCS sends as a string ("size": "123")
// and an emulator might send as a number.
std::optional<uint64_t> UnsignedField(const json& doc, const char* name) {
  auto it = doc.find(name);
  if (it == doc.end()) return std::nullopt;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (!it->is_string()) return std::nullopt;
  const std::string& text = it->get_ref<const std::string&>();
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<std::string> StringField(const json& doc, const char* name) {
  auto it = doc.find(name);
  if (it == doc.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// The crc32c from X-Goog-Hash reply headers ("crc32c=...,md5=...", possibly
// one header per hash).
std::optional<std::string> Crc32cFromHashHeaders(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name != "x-goog-hash") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (item.starts_with(' ')) item.remove_prefix(1);
      if (item.starts_with("crc32c=")) return std::string(item.substr(7));
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    }
  }
  return std::nullopt;
}

// "bytes FIRST-LAST/TOTAL" -> TOTAL.
std::optional<uint64_t> TotalFromContentRange(std::optional<std::string_view> header) {
  if (!header) return std::nullopt;
  size_t slash = header->rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view total = header->substr(slash + 1);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(total.data(), total.data() + total.size(), value);
  if (ec != std::errc() || end != total.data() + total.size()) return std::nullopt;
  return value;
}

class GcsStore final : public Store, public ObjectLockable {
 public:
  GcsStore(GcsLocation location, GcsStoreOptions options, std::unique_ptr<HttpClient> http)
      : location_(std::move(location)),
        options_(std::move(options)),
        http_(std::move(http)),
        description_(StoreCat("GCS store ", location_.Url())),
        origin_(UrlOrigin(options_.endpoint)),
        upload_url_(GcsUploadUrl(options_.endpoint, location_.bucket)) {}

  absl::Status Put(std::string_view name, ByteView data) override {
    return Upload(name, data, /*if_absent=*/false);
  }

  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    return Upload(name, data, /*if_absent=*/true);
  }

  absl::StatusOr<Bytes> Get(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    const GcsErrorContext context = ObjectContext(name);
    Bytes out;
    uint32_t crc = 0;
    HttpRequest request{"GET", StoreCat(ObjectUrl(name), "?alt=media"), {}, {}};
    request.body_sink = [&](ByteView piece) {
      out.insert(out.end(), piece.begin(), piece.end());
      crc = Crc32c(piece, crc);
      return absl::OkStatus();
    };
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, Send(request, context));
    if (response.status != 200) return GcsErrorFromResponse(response, context);
    // Hashes describe the stored bytes; a transcoded (decompressed) reply differs.
    const bool transcoded = !response.Header("content-encoding").value_or("").empty() &&
                            response.Header("content-encoding") != "identity";
    if (std::optional<std::string> expected = Crc32cFromHashHeaders(response);
        expected && !transcoded && *expected != Crc32cValueBase64(crc))
      return ObjectError(absl::StatusCode::kDataLoss, description_, name,
                         StoreCat("the ", out.size(), " bytes received have CRC32C ",
                                  Crc32cValueBase64(crc), " but the server's is ", *expected));
    return out;
  }

  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    // A zero-length range cannot be asked for in HTTP, and one that wraps
    // around is invalid whatever the size: both are decided by the size.
    if (length == 0 || length > std::numeric_limits<uint64_t>::max() - offset)
      return CheckRangeAgainstStat(name, offset, length, std::nullopt);
    const GcsErrorContext context = ObjectContext(name);
    Bytes out;
    // Pre-sizing is capped: the object may be far shorter than asked for.
    out.reserve(std::min<uint64_t>(length, 64u << 20));
    bool overflow = false;
    HttpRequest request{"GET",
                        StoreCat(ObjectUrl(name), "?alt=media"),
                        {{"Range", StoreCat("bytes=", offset, "-", offset + length - 1)}},
                        {}};
    request.body_sink = [&](ByteView piece) {
      if (piece.size() > length - out.size()) {
        overflow = true;  // The server ignored the Range (the emulator does so for bad ones).
        return absl::OutOfRangeError("more bytes than the range asked for");
      }
      out.insert(out.end(), piece.begin(), piece.end());
      return absl::OkStatus();
    };
    absl::StatusOr<HttpResponse> response = Send(request, context);
    if (overflow) {
      return CheckRangeAgainstStat(
          name, offset, length,
          ObjectError(absl::StatusCode::kUnavailable, description_, name,
                      "the server ignored the Range header of a valid range"));
    }
    if (!response.ok()) return response.status();
    if (response->status == 416)
      return CheckRangeAgainstStat(name, offset, length, GcsErrorFromResponse(*response, context));
    if (response->status != 200 && response->status != 206)
      return GcsErrorFromResponse(*response, context);
    if (out.size() == length && (response->status == 206 || offset == 0)) return out;
    // Fewer bytes than asked for (a range past the end), or a whole object
    // (200) served for a range: the size tells which range was bad.
    std::optional<uint64_t> size = response->status == 206
                                       ? TotalFromContentRange(response->Header("content-range"))
                                       : std::optional<uint64_t>(out.size());
    const absl::Status short_reply =
        ObjectError(absl::StatusCode::kDataLoss, description_, name,
                    StoreCat("the server sent ", out.size(), " bytes for a range of ", length));
    if (!size) return CheckRangeAgainstStat(name, offset, length, short_reply);
    COFFER_RETURN_IF_ERROR(CheckObjectRange(description_, name, *size, offset, length));
    return short_reply;
  }

  // Object lock: object retention on every new object (the bucket must have
  // object retention enabled).
  absl::Status EnableObjectLock(const ObjectLockPolicy& policy) override {
    std::lock_guard guard(lock_mu_);
    lock_policy_ = policy;
    return absl::OkStatus();
  }

  absl::StatusOr<absl::Time> RetainedUntil(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    const GcsErrorContext context = ObjectContext(name);
    COFFER_ASSIGN_OR_RETURN(
        HttpResponse response,
        Send(HttpRequest{"GET", StoreCat(ObjectUrl(name), "?fields=retention"), {}, {}}, context));
    if (response.status != 200) return GcsErrorFromResponse(response, context);
    absl::StatusOr<absl::Time> until = ParseGcsRetention(AsChars(response.body));
    if (!until.ok()) return GcsBadReply(context, std::string(until.status().message()));
    return until;
  }

  // PATCH the object's retention (extending needs no override parameter).
  absl::Status ExtendRetention(std::string_view name, absl::Time until) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    RetentionMode mode;
    {
      std::lock_guard guard(lock_mu_);
      if (!lock_policy_) return absl::FailedPreconditionError("object lock is not enabled on " + description_);
      mode = lock_policy_->mode;
    }
    const GcsErrorContext context = ObjectContext(name);
    const std::string body = StoreCat("{\"retention\":", GcsRetentionJson(mode, until), "}");
    Bytes bytes(body.begin(), body.end());
    COFFER_ASSIGN_OR_RETURN(
        HttpResponse response,
        Send(HttpRequest{"PATCH", ObjectUrl(name), {{"Content-Type", "application/json"}}, bytes, {}}, context));
    if (response.status != 200) return GcsErrorFromResponse(response, context);
    return absl::OkStatus();
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    const GcsErrorContext context = ObjectContext(name);
    COFFER_ASSIGN_OR_RETURN(
        HttpResponse response,
        Send(HttpRequest{"GET", StoreCat(ObjectUrl(name), "?fields=name%2Csize"), {}, {}},
             context));
    if (response.status != 200) return GcsErrorFromResponse(response, context);
    json doc = json::parse(AsChars(response.body), nullptr, /*allow_exceptions=*/false);
    std::optional<uint64_t> size = doc.is_object() ? UnsignedField(doc, "size") : std::nullopt;
    if (!size) return GcsBadReply(context, "object metadata without a valid \"size\"");
    return ObjectInfo{std::string(name), *size};
  }

  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    const std::string full_prefix = location_.FullName(prefix);
    const size_t strip = location_.prefix.empty() ? 0 : location_.prefix.size() + 1;
    const std::string subject = StoreCat("listing prefix \"", prefix, "\"");
    const GcsErrorContext context{description_, subject, location_.bucket, /*about_bucket=*/true};
    std::string page_token;
    while (true) {
      COFFER_ASSIGN_OR_RETURN(json page,
                              ListPage(full_prefix, options_.list_page_size, page_token, context));
      if (auto items = page.find("items"); items != page.end()) {
        if (!items->is_array()) return GcsBadReply(context, "\"items\" is not an array");
        for (const json& item : *items) {
          std::optional<std::string> name =
              item.is_object() ? StringField(item, "name") : std::nullopt;
          std::optional<uint64_t> size =
              item.is_object() ? UnsignedField(item, "size") : std::nullopt;
          if (!name || !size) return GcsBadReply(context, "an item without a name or valid size");
          if (!name->starts_with(full_prefix)) continue;
          std::string relative = name->substr(strip);
          // Objects put there by other tools under names no Store could use.
          if (!ValidateObjectName(relative).ok()) continue;
          COFFER_RETURN_IF_ERROR(fn(ObjectInfo{std::move(relative), *size}));
        }
      }
      std::optional<std::string> next = StringField(page, "nextPageToken");
      if (!next || next->empty()) return absl::OkStatus();
      if (*next == page_token) return GcsBadReply(context, "the same page token twice");
      page_token = *std::move(next);
    }
  }

  absl::Status Delete(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    const GcsErrorContext context = ObjectContext(name);
    COFFER_ASSIGN_OR_RETURN(HttpResponse response,
                            Send(HttpRequest{"DELETE", ObjectUrl(name), {}, {}}, context));
    if (response.status == 204 || response.status == 200) return absl::OkStatus();
    return GcsErrorFromResponse(response, context);
  }

  std::string Describe() const override { return description_; }
  int ParallelWrites() const override { return kCloudParallelWrites; }
  uint32_t DefaultPackSize() const override { return kCloudDefaultPackSize; }

  absl::Status Prepare() override {
    const GcsErrorContext context{description_, "checking the bucket", location_.bucket, true};
    return ListPage(location_.FullName(""), 1, "", context).status();
  }

 private:
  GcsErrorContext ObjectContext(std::string_view name, bool if_absent = false) const {
    return GcsErrorContext{description_, StoreCat("object ", name), location_.bucket, false,
                           if_absent};
  }

  std::string ObjectUrl(std::string_view name) const {
    return GcsObjectUrl(options_.endpoint, location_.bucket, location_.FullName(name));
  }

  absl::Status CheckName(std::string_view name) const {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    if (std::string problem = GcsNameProblem(location_.FullName(name)); !problem.empty())
      return ObjectError(absl::StatusCode::kInvalidArgument, description_,
                         absl::CHexEscape(absl::string_view(name.data(), name.size())), problem);
    return absl::OkStatus();
  }

  // Sends `request` with credentials when it goes to the API's origin (a
  // resumable session URI elsewhere gets none). A 401 with a token that can
  // be replaced is retried once with a fresh one.
  absl::StatusOr<HttpResponse> SendRaw(HttpRequest request) {
    const bool authorize = options_.token_source != nullptr && UrlOrigin(request.url) == origin_;
    std::string token;
    for (int attempt = 0;; ++attempt) {
      if (authorize) {
        absl::StatusOr<std::string> fresh = options_.token_source->Token();
        if (!fresh.ok()) return fresh.status();
        token = *std::move(fresh);
        std::erase_if(request.headers, [](const auto& h) { return h.first == "Authorization"; });
        request.headers.emplace_back("Authorization", StoreCat("Bearer ", token));
      }
      absl::StatusOr<HttpResponse> response = http_->Send(request);
      if (response.ok() && authorize && response->status == 401 && attempt == 0 &&
          options_.token_source->Invalidate(token))
        continue;
      return response;
    }
  }

  // SendRaw, with errors naming the store and the subject.
  absl::StatusOr<HttpResponse> Send(HttpRequest request, const GcsErrorContext& context) {
    absl::StatusOr<HttpResponse> response = SendRaw(std::move(request));
    if (!response.ok())
      return Annotate(response.status(), StoreCat(context.store, ": ", context.subject));
    return response;
  }

  absl::Status Upload(std::string_view name, ByteView data, bool if_absent) {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    const GcsErrorContext context = ObjectContext(name, if_absent);
    GcsUpload upload{upload_url_,        location_.FullName(name), data,
                     Crc32cBase64(data), Md5Base64(data),          if_absent};
    {
      std::lock_guard guard(lock_mu_);
      if (lock_policy_ && IsRetainedObject(name))
        upload.retention = GcsRetentionJson(lock_policy_->mode, RetainUntil(*lock_policy_, absl::Now()));
    }
    GcsSender send = [this](const HttpRequest& request) { return SendRaw(request); };
    absl::StatusOr<HttpResponse> response =
        !data.empty() && data.size() >= options_.resumable_threshold_bytes
            ? GcsResumableUpload(
                  send, upload,
                  GcsResumableOptions{options_.resumable_chunk_bytes, options_.resumable_retries,
                                      options_.resumable_retry_delay})
            : GcsMultipartUpload(send, upload);
    if (!response.ok())
      return Annotate(response.status(), StoreCat(context.store, ": ", context.subject));
    if (response->status != 200 && response->status != 201)
      return GcsErrorFromResponse(*response, context);
    return VerifyStored(name, upload, *response, context);
  }

  // Checks the resource GCS answered an upload with against what was sent.
  absl::Status VerifyStored(std::string_view name, const GcsUpload& upload,
                            const HttpResponse& response, const GcsErrorContext& context) {
    json doc = json::parse(AsChars(response.body), nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return GcsBadReply(context, "the upload's reply is not a JSON object");
    std::optional<uint64_t> size = UnsignedField(doc, "size");
    std::optional<std::string> crc = StringField(doc, "crc32c");
    if (size == upload.data.size() && (!crc || *crc == upload.crc32c)) return absl::OkStatus();
    std::string what =
        StoreCat("the server stored ", size ? std::to_string(*size) : "an unknown number of",
                 " bytes with CRC32C ", crc.value_or("(none)"), " where ", upload.data.size(),
                 " bytes with CRC32C ", upload.crc32c, " were sent");
    // Remove exactly the damaged generation; a newer one is someone else's.
    std::optional<std::string> generation = StringField(doc, "generation");
    if (!generation && doc.contains("generation") && doc["generation"].is_number_unsigned())
      generation = std::to_string(doc["generation"].get<uint64_t>());
    if (generation) {
      absl::StatusOr<HttpResponse> deleted = Send(
          HttpRequest{
              "DELETE",
              StoreCat(ObjectUrl(name), "?ifGenerationMatch=", GcsPercentEncode(*generation)),
              {},
              {}},
          context);
      what += deleted.ok() && (deleted->status == 204 || deleted->status == 200)
                  ? "; that object was deleted again"
                  : "; deleting that object again failed";
    }
    return ObjectError(absl::StatusCode::kDataLoss, description_, name, what);
  }

  absl::StatusOr<json> ListPage(const std::string& full_prefix, int page_size,
                                const std::string& page_token, const GcsErrorContext& context) {
    std::string url = StoreCat(GcsListUrl(options_.endpoint, location_.bucket),
                               "?prefix=", GcsPercentEncode(full_prefix), "&maxResults=", page_size,
                               "&fields=", GcsPercentEncode("items(name,size),nextPageToken"));
    if (!page_token.empty()) url += StoreCat("&pageToken=", GcsPercentEncode(page_token));
    COFFER_ASSIGN_OR_RETURN(HttpResponse response,
                            Send(HttpRequest{"GET", std::move(url), {}, {}}, context));
    if (response.status != 200) return GcsErrorFromResponse(response, context);
    json page = json::parse(AsChars(response.body), nullptr, /*allow_exceptions=*/false);
    if (!page.is_object()) return GcsBadReply(context, "the listing is not a JSON object");
    return page;
  }

  // The answer for a range decided by the object's size: the range error
  // when it lies beyond the end, else `otherwise` (or an empty result).
  absl::StatusOr<Bytes> CheckRangeAgainstStat(std::string_view name, uint64_t offset,
                                              uint64_t length,
                                              std::optional<absl::Status> otherwise) {
    COFFER_ASSIGN_OR_RETURN(ObjectInfo info, Stat(name));
    COFFER_RETURN_IF_ERROR(CheckObjectRange(description_, name, info.size, offset, length));
    if (otherwise) return *otherwise;
    return Bytes();
  }

  const GcsLocation location_;
  const GcsStoreOptions options_;
  const std::unique_ptr<HttpClient> http_;
  const std::string description_;
  const std::string origin_;
  const std::string upload_url_;
  std::mutex lock_mu_;
  std::optional<ObjectLockPolicy> lock_policy_;  // guarded by lock_mu_
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewGcsStore(GcsLocation location, GcsStoreOptions options) {
  const std::string where = StoreCat("GCS store ", location.Url());
  absl::StatusOr<std::string> endpoint = NormalizeGcsEndpoint(options.endpoint);
  if (!endpoint.ok()) return Annotate(endpoint.status(), where);
  options.endpoint = *std::move(endpoint);
  if (options.resumable_chunk_bytes % kChunkGranule != 0)
    return absl::InvalidArgumentError(StoreCat(where, ": resumable chunk size ",
                                               options.resumable_chunk_bytes,
                                               " is not a multiple of 256 KiB"));
  if (options.resumable_threshold_bytes == 0)
    return absl::InvalidArgumentError(StoreCat(where, ": resumable threshold must be at least 1"));
  if (options.list_page_size < 1 || options.list_page_size > 1000)
    return absl::InvalidArgumentError(
        StoreCat(where, ": list page size ", options.list_page_size, " is not within 1..1000"));
  if (options.resumable_retries < 0)
    return absl::InvalidArgumentError(StoreCat(where, ": resumable retries must not be negative"));
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http, HttpClient::Create(options.http));
  return std::unique_ptr<Store>(
      std::make_unique<GcsStore>(std::move(location), std::move(options), std::move(http)));
}

absl::StatusOr<std::unique_ptr<Store>> OpenGcsLocation(std::string_view rest) {
  COFFER_ASSIGN_OR_RETURN(GcsLocation location, ParseGcsLocation(rest));
  GcsStoreOptions options;
  if (std::optional<std::string> emulator = GcsEmulatorEndpointFromEnvironment()) {
    absl::StatusOr<std::string> endpoint = NormalizeGcsEndpoint(*emulator);
    if (!endpoint.ok())
      return Annotate(endpoint.status(),
                      StoreCat("GCS store ", location.Url(), ": STORAGE_EMULATOR_HOST"));
    options.endpoint = *std::move(endpoint);
    // The firebase emulator finishes a resumable upload with its first request.
    options.resumable_chunk_bytes = 0;
  } else {
    absl::StatusOr<std::shared_ptr<GcsTokenSource>> tokens = GcsTokenSourceFromEnvironment();
    if (!tokens.ok()) return Annotate(tokens.status(), StoreCat("GCS store ", location.Url()));
    options.token_source = *std::move(tokens);
  }
  return NewGcsStore(std::move(location), std::move(options));
}

}  // namespace coffer
