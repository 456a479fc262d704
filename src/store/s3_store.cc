// The S3 store: Store methods as S3 REST requests (see s3_store.h for the
// behaviour, s3_client.h for signing and errors, s3_multipart.h for large
// uploads).
#include "store/s3_store.h"

#include "store/object_lock.h"

#include <charconv>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "base/status_macros.h"
#include "store/checksums.h"
#include "store/s3_client.h"
#include "store/s3_location.h"
#include "store/s3_multipart.h"
#include "store/s3_xml.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

// S3 refuses single PUTs above 5 GiB, whatever the threshold says.
constexpr uint64_t kMaxSinglePut = uint64_t{5} << 30;
// Ranges up to this size are read into a buffer of their size at once.
constexpr uint64_t kUncheckedRangeBytes = uint64_t{64} << 20;

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct ContentRange {
  uint64_t first = 0, last = 0;
  std::optional<uint64_t> total;  // nullopt for "*".
};

// "bytes FIRST-LAST/TOTAL" (TOTAL may be "*"), or "bytes */TOTAL" with
// first = last = 0 on a 416.
std::optional<ContentRange> ParseContentRange(std::string_view value) {
  if (!value.starts_with("bytes ")) return std::nullopt;
  value.remove_prefix(6);
  size_t slash = value.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  ContentRange out;
  std::string_view total = value.substr(slash + 1);
  if (total != "*") {
    out.total = ParseUint(total);
    if (!out.total) return std::nullopt;
  }
  std::string_view range = value.substr(0, slash);
  if (range == "*") return out;
  size_t dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::optional<uint64_t> first = ParseUint(range.substr(0, dash));
  std::optional<uint64_t> last = ParseUint(range.substr(dash + 1));
  if (!first || !last || *last < *first) return std::nullopt;
  out.first = *first;
  out.last = *last;
  return out;
}

// Names with a PutIfAbsent in progress in this store: a second caller for the
// same name waits, so check-then-write is exact between threads even on
// servers that ignore If-None-Match.
class NameLocks {
 public:
  class Held {
   public:
    Held(NameLocks& locks, std::string name) : locks_(locks), name_(std::move(name)) {
      std::unique_lock lock(locks_.mu_);
      locks_.cv_.wait(lock, [&] { return !locks_.busy_.count(name_); });
      locks_.busy_.insert(name_);
    }
    ~Held() {
      {
        std::lock_guard lock(locks_.mu_);
        locks_.busy_.erase(name_);
      }
      locks_.cv_.notify_all();
    }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

   private:
    NameLocks& locks_;
    const std::string name_;
  };

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> busy_;
};

class S3Store final : public Store, public ObjectLockable {
 public:
  explicit S3Store(std::unique_ptr<S3Client> client)
      : client_(std::move(client)),
        key_prefix_(client_->options().prefix.empty() ? "" : client_->options().prefix + "/") {}

  absl::Status Put(std::string_view name, ByteView data) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(Describe(), name));
    return Upload(name, data, /*if_absent=*/false);
  }

  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(Describe(), name));
    NameLocks::Held held(put_if_absent_locks_, std::string(name));
    // The only check on servers that ignore If-None-Match, and on S3 a cheap
    // early answer that spares uploading the data.
    absl::StatusOr<ObjectInfo> existing = Stat(name);
    if (existing.ok()) return AlreadyExists(name);
    if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
    return Upload(name, data, /*if_absent=*/true);
  }

  // Object lock (S3 Object Lock; the bucket must have it enabled).
  absl::Status EnableObjectLock(const ObjectLockPolicy& policy) override {
    std::lock_guard guard(lock_mu_);
    lock_policy_ = policy;
    return absl::OkStatus();
  }

  // GetObjectRetention. An object without retention answers 404
  // NoSuchObjectLockConfiguration.
  absl::StatusOr<absl::Time> RetainedUntil(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(Describe(), name));
    S3Call call = ObjectCall("GET", name);
    call.query = {{"retention", ""}};
    call.operation = "reading the object's retention";
    call.pass_statuses = {404};
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(call));
    if (response.status == 404) {
      if (AsChars(response.body).find("NoSuchObjectLockConfiguration") != std::string_view::npos)
        return absl::InfinitePast();
      return ObjectError(absl::StatusCode::kNotFound, Describe(), name, "not found");
    }
    absl::StatusOr<absl::Time> until = ParseS3RetentionXml(AsChars(response.body));
    if (!until.ok()) return ObjectError(absl::StatusCode::kUnavailable, Describe(), name, std::string(until.status().message()));
    return until;
  }

  // PutObjectRetention with the policy's mode (S3 requires Content-MD5).
  absl::Status ExtendRetention(std::string_view name, absl::Time until) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(Describe(), name));
    RetentionMode mode;
    {
      std::lock_guard guard(lock_mu_);
      if (!lock_policy_) return absl::FailedPreconditionError("object lock is not enabled on " + Describe());
      mode = lock_policy_->mode;
    }
    const std::string body = S3RetentionXml(mode, until);
    S3Call call = ObjectCall("PUT", name);
    call.query = {{"retention", ""}};
    call.operation = "extending the object's retention";
    call.headers = {{"Content-MD5", Md5Base64(AsBytes(body))}, {"Content-Type", "application/xml"}};
    call.body = AsBytes(body);
    return client_->Send(call).status();
  }

  absl::StatusOr<Bytes> Get(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(Describe(), name));
    // Without a sink HttpClient collects the body in a buffer pre-sized from
    // Content-Length, which is moved out below: no copy. (A sink could not
    // pre-size: it never sees the headers.)
    S3Call call = ObjectCall("GET", name);
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(call));
    return std::move(response.body);
  }

  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(Describe(), name));
    // An empty range (HTTP cannot express one) or one no object can hold
    // still needs the object's existence and size for the right answer.
    if (length == 0 || length > std::numeric_limits<uint64_t>::max() - offset ||
        length > std::numeric_limits<size_t>::max()) {
      COFFER_ASSIGN_OR_RETURN(ObjectInfo info, Stat(name));
      COFFER_RETURN_IF_ERROR(CheckObjectRange(Describe(), name, info.size, offset, length));
      return Bytes();
    }
    // A large range is checked against the object's size before its buffer
    // is allocated: a caller's wrong length must not cost terabytes of memory.
    if (length > kUncheckedRangeBytes) {
      COFFER_ASSIGN_OR_RETURN(ObjectInfo info, Stat(name));
      COFFER_RETURN_IF_ERROR(CheckObjectRange(Describe(), name, info.size, offset, length));
    }
    return ReadRange(name, offset, length);
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckObjectName(Describe(), name));
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(ObjectCall("HEAD", name)));
    std::optional<std::string_view> length = response.Header("content-length");
    std::optional<uint64_t> size = length ? ParseUint(*length) : std::nullopt;
    if (!size)
      return ObjectError(absl::StatusCode::kUnavailable, Describe(), name,
                         "S3 answered HEAD without a valid Content-Length");
    return ObjectInfo{std::string(name), *size};
  }

  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    const std::string operation = StoreCat("listing \"", prefix, "\"");
    const std::string key_prefix = StoreCat(key_prefix_, prefix);
    std::string token;
    do {
      S3Call call;
      call.key = "";
      // encoding-type=url: keys with characters XML 1.0 cannot carry come back
      // escaped (s3_xml.h decodes them only when the server says it did).
      call.query = {{"list-type", "2"}, {"prefix", key_prefix}, {"encoding-type", "url"}};
      if (!token.empty()) call.query.emplace_back("continuation-token", token);
      call.operation = operation;
      COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(call));
      absl::StatusOr<S3ListPage> page = ParseS3ListObjectsV2(AsChars(response.body));
      if (!page.ok()) return Annotate(page.status(), StoreCat(Describe(), ": ", operation));
      for (S3ListedObject& object : page->objects) {
        if (!page->url_encoded) COFFER_RETURN_IF_ERROR(UnescapeTwiceEscapedKey(object, operation));
        if (!std::string_view(object.key).starts_with(key_prefix)) continue;
        std::string_view name = std::string_view(object.key).substr(key_prefix_.size());
        // Keys that are no valid object name (a console's "folder/" marker,
        // "a//b") are not objects of this store.
        if (!ValidateObjectName(name).ok()) continue;
        COFFER_RETURN_IF_ERROR(fn(ObjectInfo{std::string(name), object.size}));
      }
      token = page->truncated ? page->next_continuation_token : "";
    } while (!token.empty());
    return absl::OkStatus();
  }

  absl::Status Delete(std::string_view name) override {
    // S3 answers 204 for a missing key too; the contract wants NotFound.
    COFFER_RETURN_IF_ERROR(Stat(name).status());
    return client_->Send(ObjectCall("DELETE", name)).status();
  }

  std::string Describe() const override { return client_->Describe(); }
  int ParallelWrites() const override { return kCloudParallelWrites; }
  uint32_t DefaultPackSize() const override { return kCloudDefaultPackSize; }

  // Creates the bucket when it does not exist (in the configured region).
  absl::Status Prepare() override {
    S3Call head;
    head.method = "HEAD";
    head.operation = "checking the bucket";
    // 403: these credentials may not look at the bucket itself, which the
    // store does not need; the first write will tell whether they may write.
    head.pass_statuses = {403, 404};
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(head));
    if (response.status != 404) return absl::OkStatus();
    S3Call create;
    create.method = "PUT";
    create.operation = StoreCat("creating bucket ", client_->bucket());
    const std::string& region = client_->options().region;
    // us-east-1 is S3's default location and must not be named.
    const std::string body =
        region == "us-east-1"
            ? ""
            : StoreCat(
                  "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                  "<LocationConstraint>",
                  region, "</LocationConstraint></CreateBucketConfiguration>");
    create.body = AsBytes(body);
    create.pass_statuses = {409};
    COFFER_ASSIGN_OR_RETURN(HttpResponse created, client_->Send(create));
    if (created.status == 409) {
      std::optional<S3ErrorDocument> doc = ParseS3ErrorDocument(AsChars(created.body));
      if (doc && doc->code == "BucketAlreadyOwnedByYou") return absl::OkStatus();
      return client_->ResponseError(created, "", create.operation);
    }
    return absl::OkStatus();
  }

 private:
  std::string KeyOf(std::string_view name) const { return StoreCat(key_prefix_, name); }

  S3Call ObjectCall(std::string method, std::string_view name) const {
    S3Call call;
    call.method = std::move(method);
    call.key = KeyOf(name);
    call.object = name;
    return call;
  }

  // A server that ignores encoding-type=url sends keys as XML text, and
  // s3rver escapes that text twice ("<" arrives as "&amp;lt;"). Whether a key
  // with a character reference left is such a key or really holds "&lt;" only
  // the server knows: when the key as listed does not exist but the key
  // unescaped once does, the latter is meant. Costs a HEAD or two per key
  // with '&', only on such servers (coffer's own names never have one).
  absl::Status UnescapeTwiceEscapedKey(S3ListedObject& object, std::string_view operation) {
    std::optional<std::string> unescaped = S3XmlUnescapeOnce(object.key);
    if (!unescaped) return absl::OkStatus();
    auto exists = [&](const std::string& key) -> absl::StatusOr<bool> {
      S3Call head;
      head.method = "HEAD";
      head.key = key;
      head.operation = operation;
      head.pass_statuses = {404};
      COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(head));
      return response.status != 404;
    };
    COFFER_ASSIGN_OR_RETURN(bool listed_exists, exists(object.key));
    if (listed_exists) return absl::OkStatus();
    COFFER_ASSIGN_OR_RETURN(bool unescaped_exists, exists(*unescaped));
    if (unescaped_exists) object.key = std::move(*unescaped);
    return absl::OkStatus();
  }

  absl::Status AlreadyExists(std::string_view name) const {
    return ObjectError(absl::StatusCode::kAlreadyExists, Describe(), name, "already exists");
  }

  // Object lock headers for a new object, when enabled (object_lock.h).
  HttpHeaders LockHeaders(std::string_view name) {
    std::lock_guard guard(lock_mu_);
    if (!lock_policy_ || !IsRetainedObject(name)) return {};
    return S3ObjectLockHeaders(lock_policy_->mode, RetainUntil(*lock_policy_, absl::Now()));
  }

  absl::Status Upload(std::string_view name, ByteView data, bool if_absent) {
    const S3StoreOptions& options = client_->options();
    HttpHeaders lock = LockHeaders(name);
    if (data.size() > std::min(options.multipart_threshold, kMaxSinglePut))
      return S3MultipartPut(*client_, KeyOf(name), name, data, if_absent, lock);
    S3Call call = ObjectCall("PUT", name);
    // Content-MD5 always: S3 requires it (or a checksum) on object lock PUTs.
    call.headers = {{"Content-MD5", Md5Base64(data)}};
    call.headers.insert(call.headers.end(), lock.begin(), lock.end());
    if (if_absent) {
      call.headers.emplace_back("If-None-Match", "*");
      call.pass_statuses = {412};
    }
    call.body = data;
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_->Send(call));
    if (response.status == 412) return AlreadyExists(name);
    return absl::OkStatus();
  }

  // GET with a Range header, streamed straight into a buffer of the
  // requested size. REQUIRES: 0 < length, offset + length does not overflow.
  absl::StatusOr<Bytes> ReadRange(std::string_view name, uint64_t offset, uint64_t length) {
    Bytes out;
    out.reserve(static_cast<size_t>(length));
    bool overflow = false;
    S3Call call = ObjectCall("GET", name);
    call.headers = {{"Range", StoreCat("bytes=", offset, "-", offset + length - 1)}};
    call.pass_statuses = {416};
    call.body_sink = [&](ByteView piece) {
      if (piece.size() > length - out.size()) {
        overflow = true;
        return absl::OutOfRangeError("more bytes than requested");
      }
      out.insert(out.end(), piece.begin(), piece.end());
      return absl::OkStatus();
    };
    absl::StatusOr<HttpResponse> response = client_->Send(call);
    if (overflow)
      return ObjectError(absl::StatusCode::kUnavailable, Describe(), name,
                         StoreCat("S3 sent more than the ", length,
                                  " bytes asked for (does something on the way ignore Range?)"));
    if (!response.ok()) {
      // Some servers mishandle a range beyond the end (s3rver promises one
      // byte of an empty object and never sends it): before reporting a
      // transfer failure, ask whether the range was beyond the end.
      if (response.status().code() == absl::StatusCode::kUnavailable) {
        absl::StatusOr<ObjectInfo> info = Stat(name);
        if (info.ok())
          COFFER_RETURN_IF_ERROR(CheckObjectRange(Describe(), name, info->size, offset, length));
      }
      return response.status();
    }
    std::optional<std::string_view> header = response->Header("content-range");
    std::optional<ContentRange> range = header ? ParseContentRange(*header) : std::nullopt;
    if (response->status == 416) return BeyondTheEnd(*response, range, name, offset, length);
    if (response->status != 206) {
      // A whole object instead of a range: right only if it is exactly the range.
      if (offset == 0 && out.size() == length) return out;
      return ObjectError(absl::StatusCode::kUnavailable, Describe(), name,
                         StoreCat("S3 answered a range request with HTTP ", response->status));
    }
    if (!range || range->first != offset || range->last - range->first + 1 != out.size())
      return ObjectError(absl::StatusCode::kUnavailable, Describe(), name,
                         StoreCat("S3's answer to a request for bytes ", offset, "-",
                                  offset + length - 1, " does not match its Content-Range \"",
                                  header.value_or(""), "\" or length ", out.size()));
    if (out.size() < length) {
      // The object ends inside the range: S3 sends what there is.
      if (range->total) return CheckObjectRange(Describe(), name, *range->total, offset, length);
      return ObjectError(
          absl::StatusCode::kInvalidArgument, Describe(), name,
          StoreCat("range [", offset, ", +", length, ") lies beyond the end of the object"));
    }
    return out;
  }

  // The answer to a 416 (InvalidRange): the range starts beyond the end.
  absl::Status BeyondTheEnd(const HttpResponse& response, const std::optional<ContentRange>& range,
                            std::string_view name, uint64_t offset, uint64_t length) const {
    // The size is in Content-Range ("bytes */SIZE") or the error document.
    std::optional<S3ErrorDocument> doc = ParseS3ErrorDocument(AsChars(response.body));
    const uint64_t unknown = std::numeric_limits<uint64_t>::max();
    uint64_t size = range && range->total ? *range->total : unknown;
    if (size == unknown && doc && doc->actual_object_size) size = *doc->actual_object_size;
    if (size != unknown) {
      absl::Status s = CheckObjectRange(Describe(), name, size, offset, length);
      if (!s.ok()) return s;
    }
    return ObjectError(absl::StatusCode::kInvalidArgument, Describe(), name,
                       StoreCat("range [", offset, ", +", length,
                                ") lies beyond the end of the object (InvalidRange)"));
  }

  const std::unique_ptr<S3Client> client_;
  const std::string key_prefix_;  // "" or "prefix/".
  NameLocks put_if_absent_locks_;
  std::mutex lock_mu_;
  std::optional<ObjectLockPolicy> lock_policy_;  // guarded by lock_mu_
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewS3Store(S3StoreOptions options) {
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<S3Client> client, S3Client::Create(options));
  return std::unique_ptr<Store>(std::make_unique<S3Store>(std::move(client)));
}

absl::StatusOr<std::unique_ptr<Store>> OpenS3Location(std::string_view rest) {
  COFFER_ASSIGN_OR_RETURN(S3StoreOptions options,
                          ResolveS3StoreOptions(rest, ProcessEnvironment()));
  return NewS3Store(std::move(options));
}

}  // namespace coffer
