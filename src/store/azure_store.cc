// The Azure Blob store: one REST call per Store method (two or more for a
// block upload, a range check or a listing), each signed with Shared Key or
// carrying the SAS token.
//
// Invariants:
// - A blob becomes visible only whole: by one Put Blob, or by the Put Block
//   List that follows every successful Put Block of an upload. When a block
//   fails, the list is never committed.
// - Block IDs carry a random per-upload nonce, so uploads racing on one name
//   never commit each other's blocks.
// - Secrets (key, SAS, Authorization) stay out of messages: URLs in messages
//   go through RedactUrl (no query) and Azure's text through ScrubSecrets.
#include "store/azure_store.h"

#include "store/object_lock.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "store/azure_errors.h"
#include "store/azure_location.h"
#include "store/azure_protocol.h"
#include "store/azure_shared_key.h"
#include "store/checksums.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

constexpr uint64_t kMaxBlockSize = 4000ull << 20;  // Put Block, version 2019-12-12+.
constexpr uint64_t kMaxSinglePut = 5000ull << 20;  // Put Blob, version 2019-12-12+.
constexpr uint64_t kMaxBlocks = 50000;             // Committed blocks per blob.
constexpr int kMaxListPage = 5000;                 // List Blobs maxresults.
// A block blob holds at most 50,000 blocks of 4000 MiB; a longer range
// cannot lie within any blob.
constexpr uint64_t kMaxBlobBytes = kMaxBlocks * kMaxBlockSize;
// Up-front reservation for a range; beyond it the buffer grows as data comes.
constexpr uint64_t kMaxReserve = 256ull << 20;
constexpr std::string_view kOctetStream = "application/octet-stream";

// One REST call, before signing.
struct Call {
  std::string_view operation;  // "Put Blob": for messages.
  std::string method;
  std::string blob;         // Full blob name; empty for container calls.
  std::string_view object;  // The object name for messages.
  AzurePairs query;         // Decoded.
  AzurePairs headers;       // Besides x-ms-date, x-ms-version and Authorization.
  ByteView body;
  std::function<absl::Status(ByteView)> body_sink;
  bool create_only = false;  // 409/412 "exists" answers mean AlreadyExists.
};

std::optional<uint64_t> ParseSize(std::optional<std::string_view> text) {
  uint64_t value = 0;
  if (!text || text->empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

// Appends a piece of a response body; running out of memory is an error,
// not an exception through libcurl's callback.
absl::Status Append(Bytes& out, ByteView piece) {
  try {
    out.insert(out.end(), piece.begin(), piece.end());
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        StoreCat("out of memory after ", out.size(), " bytes of the blob"));
  }
  return absl::OkStatus();
}

// The "sig" value of a SAS token, raw and decoded, for scrubbing.
std::pair<std::string, std::string> SasSignature(std::string_view sas) {
  for (size_t start = 0; start < sas.size();) {
    size_t end = sas.find('&', start);
    if (end == std::string_view::npos) end = sas.size();
    std::string_view param = sas.substr(start, end - start);
    if (param.starts_with("sig=")) {
      std::string raw(param.substr(4));
      return {raw, AzurePercentDecode(raw).value_or(raw)};
    }
    start = end + 1;
  }
  return {};
}

class AzureStore : public Store, public ObjectLockable {
 public:
  AzureStore(AzureStoreOptions options, AzureEndpoint endpoint, Bytes key, std::string sas,
             std::string account, std::unique_ptr<HttpClient> http)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        key_(std::move(key)),
        sas_(std::move(sas)),
        sas_signature_(SasSignature(sas_)),
        account_(std::move(account)),
        blob_prefix_(options_.prefix.empty() ? "" : StoreCat(options_.prefix, "/")),
        description_(StoreCat("azure://", options_.container, options_.prefix.empty() ? "" : "/",
                              options_.prefix,
                              account_.empty() ? "" : StoreCat(" (account ", account_, ")"))),
        http_(std::move(http)) {}

  ~AzureStore() override { OPENSSL_cleanse(key_.data(), key_.size()); }

  absl::Status Put(std::string_view name, ByteView data) override {
    return Upload(name, data, /*create_only=*/false);
  }

  absl::Status PutIfAbsent(std::string_view name, ByteView data) override {
    return Upload(name, data, /*create_only=*/true);
  }

  absl::StatusOr<Bytes> Get(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    Bytes out;
    Call call = BlobCall("Get Blob", "GET", name);
    call.body_sink = [&out](ByteView piece) { return Append(out, piece); };
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, Perform(call));
    // The MD5 stored at upload covers the whole blob: a read that does not
    // match it is damaged, whoever damaged it.
    if (std::optional<std::string_view> md5 = response.Header("content-md5"))
      if (*md5 != Md5Base64(out))
        return ObjectError(
            absl::StatusCode::kDataLoss, description_, name,
            StoreCat("the ", out.size(), " bytes read do not match the blob's Content-MD5"));
    return out;
  }

  absl::StatusOr<Bytes> GetRange(std::string_view name, uint64_t offset, uint64_t length) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    // An empty range cannot be asked for; one longer than any blob or
    // running past 2^64 fits no object: Stat says which error it is.
    if (length == 0 || length > kMaxBlobBytes || length - 1 > UINT64_MAX - offset) {
      COFFER_RETURN_IF_ERROR(CheckRangeAgainstSize(name, offset, length));
      return Bytes();
    }
    Bytes out;
    out.reserve(std::min(length, kMaxReserve));
    Call call = BlobCall("Get Blob", "GET", name);
    call.headers.emplace_back("x-ms-range", StoreCat("bytes=", offset, "-", offset + (length - 1)));
    call.body_sink = [&out, length](ByteView piece) {
      if (piece.size() > length - out.size())
        return absl::DataLossError(
            StoreCat("the server sent more than the ", length, " bytes asked for"));
      return Append(out, piece);
    };
    absl::StatusOr<HttpResponse> response = Perform(call);
    if (!response.ok()) {
      // InvalidRange: the range starts beyond the end; say so with the size.
      if (response.status().code() == absl::StatusCode::kInvalidArgument) {
        absl::Status by_size = CheckRangeAgainstSize(name, offset, length);
        if (!by_size.ok()) return by_size;
      }
      return response.status();
    }
    // A range running past the end comes back shorter, not as an error.
    if (out.size() != length) {
      std::optional<uint64_t> total =
          AzureContentRangeTotal(response->Header("content-range").value_or(""));
      if (total)
        COFFER_RETURN_IF_ERROR(CheckObjectRange(description_, name, *total, offset, length));
      return ObjectError(
          absl::StatusCode::kDataLoss, description_, name,
          StoreCat("asked for ", length, " bytes at ", offset, ", got ", out.size()));
    }
    return out;
  }

  // Object lock: a blob immutability policy on every new blob (version-level
  // immutability must be enabled on the container or account).
  absl::Status EnableObjectLock(const ObjectLockPolicy& policy) override {
    std::lock_guard guard(lock_mu_);
    lock_policy_ = policy;
    return absl::OkStatus();
  }

  // Get Blob Properties reports the policy in x-ms-immutability-policy-until-date.
  absl::StatusOr<absl::Time> RetainedUntil(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    COFFER_ASSIGN_OR_RETURN(HttpResponse response,
                            Perform(BlobCall("Get Blob Properties", "HEAD", name)));
    std::optional<std::string_view> until = response.Header("x-ms-immutability-policy-until-date");
    if (!until) return absl::InfinitePast();
    absl::StatusOr<absl::Time> parsed = ParseAzureImmutabilityDate(*until);
    if (!parsed.ok())
      return ObjectError(absl::StatusCode::kUnavailable, description_, name,
                         std::string(parsed.status().message()));
    return parsed;
  }

  // Set Blob Immutability Policy (PUT ?comp=immutabilityPolicies).
  absl::Status ExtendRetention(std::string_view name, absl::Time until) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    RetentionMode mode;
    {
      std::lock_guard guard(lock_mu_);
      if (!lock_policy_) return absl::FailedPreconditionError("object lock is not enabled on " + description_);
      mode = lock_policy_->mode;
    }
    Call call = BlobCall("Set Blob Immutability Policy", "PUT", name);
    call.query = {{"comp", "immutabilityPolicies"}};
    for (auto& [k, v] : AzureImmutabilityHeaders(mode, until)) call.headers.emplace_back(k, v);
    return Perform(call).status();
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    COFFER_ASSIGN_OR_RETURN(HttpResponse response,
                            Perform(BlobCall("Get Blob Properties", "HEAD", name)));
    std::optional<uint64_t> size = ParseSize(response.Header("content-length"));
    if (!size)
      return ObjectError(absl::StatusCode::kDataLoss, description_, name,
                         "Get Blob Properties answered without a valid Content-Length");
    return ObjectInfo{std::string(name), *size};
  }

  absl::Status List(std::string_view prefix,
                    const std::function<absl::Status(const ObjectInfo&)>& fn) override {
    const std::string full_prefix = StoreCat(blob_prefix_, prefix);
    const std::string operation = StoreCat("List Blobs with prefix \"", full_prefix, "\"");
    std::string marker;
    do {
      Call call;
      call.operation = operation;
      call.method = "GET";
      call.query = {{"restype", "container"}, {"comp", "list"}};
      if (!full_prefix.empty()) call.query.emplace_back("prefix", full_prefix);
      if (!marker.empty()) call.query.emplace_back("marker", marker);
      if (options_.list_page_size > 0)
        call.query.emplace_back("maxresults", std::to_string(options_.list_page_size));
      COFFER_ASSIGN_OR_RETURN(HttpResponse response, Perform(call));
      absl::StatusOr<AzureListPage> page = ParseAzureListBlobs(response.body);
      if (!page.ok())
        return absl::DataLossError(StoreCat(description_, ": ", operation, ": ",
                                            std::string(page.status().message()),
                                            " (is the endpoint an Azure Blob service?)"));
      for (const ObjectInfo& blob : page->blobs) {
        if (!blob.name.starts_with(full_prefix)) continue;
        std::string name = blob.name.substr(blob_prefix_.size());
        // Blobs no Put here could have made (a tool's "dir/" markers) are not objects.
        if (!ValidateObjectName(name).ok() || !CheckAzureBlobName(blob.name).ok()) continue;
        COFFER_RETURN_IF_ERROR(fn(ObjectInfo{std::move(name), blob.size}));
      }
      if (!page->next_marker.empty() && page->next_marker == marker)
        return absl::DataLossError(
            StoreCat(description_, ": ", operation, ": the service repeated its NextMarker"));
      marker = page->next_marker;
    } while (!marker.empty());
    return absl::OkStatus();
  }

  absl::Status Delete(std::string_view name) override {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    return Perform(BlobCall("Delete Blob", "DELETE", name)).status();
  }

  std::string Describe() const override { return description_; }
  int ParallelWrites() const override { return kCloudParallelWrites; }
  uint32_t DefaultPackSize() const override { return kCloudDefaultPackSize; }

  absl::Status Prepare() override {
    Call call;
    call.operation = "Create Container";
    call.method = "PUT";
    call.query = {{"restype", "container"}};
    absl::Status status = Perform(call).status();
    if (status.ok() || status.code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
    // A SAS for one container may not create containers; fine if it exists.
    if (status.code() == absl::StatusCode::kPermissionDenied && ContainerExists())
      return absl::OkStatus();
    return status;
  }

 private:
  absl::Status CheckName(std::string_view name) const {
    COFFER_RETURN_IF_ERROR(CheckObjectName(description_, name));
    if (absl::Status s = CheckAzureBlobName(StoreCat(blob_prefix_, name)); !s.ok())
      return ObjectError(absl::StatusCode::kInvalidArgument, description_, name,
                         std::string(s.message()));
    return absl::OkStatus();
  }

  Call BlobCall(std::string_view operation, std::string method, std::string_view name) const {
    Call call;
    call.operation = operation;
    call.method = std::move(method);
    call.blob = StoreCat(blob_prefix_, name);
    call.object = name;
    return call;
  }

  // OK when [offset, +length) lies within the object, by its size from Stat.
  absl::Status CheckRangeAgainstSize(std::string_view name, uint64_t offset, uint64_t length) {
    COFFER_ASSIGN_OR_RETURN(ObjectInfo info, Stat(name));
    return CheckObjectRange(description_, name, info.size, offset, length);
  }

  void AddLockHeaders(std::string_view name, AzurePairs& headers) {
    std::lock_guard guard(lock_mu_);
    if (!lock_policy_ || !IsRetainedObject(name)) return;
    for (auto& [k, v] : AzureImmutabilityHeaders(lock_policy_->mode, RetainUntil(*lock_policy_, absl::Now())))
      headers.emplace_back(k, v);
  }

  bool ContainerExists() {
    Call call;
    call.operation = "List Blobs";
    call.method = "GET";
    call.query = {{"restype", "container"}, {"comp", "list"}, {"maxresults", "1"}};
    return Perform(call).ok();
  }

  absl::Status Upload(std::string_view name, ByteView data, bool create_only) {
    COFFER_RETURN_IF_ERROR(CheckName(name));
    if (data.size() <= options_.single_put_threshold || data.empty()) {
      Call call = BlobCall("Put Blob", "PUT", name);
      call.headers = {{"Content-Type", std::string(kOctetStream)},
                      {"Content-MD5", Md5Base64(data)},
                      {"x-ms-blob-type", "BlockBlob"}};
      AddLockHeaders(name, call.headers);
      call.body = data;
      call.create_only = create_only;
      return Perform(call).status();
    }
    return UploadBlocks(name, data, create_only);
  }

  // Put Block for every block (several at once), then Put Block List.
  absl::Status UploadBlocks(std::string_view name, ByteView data, bool create_only) {
    const uint64_t block_size =
        std::max<uint64_t>(options_.block_size, (data.size() + kMaxBlocks - 1) / kMaxBlocks);
    const size_t blocks = static_cast<size_t>((data.size() + block_size - 1) / block_size);
    uint8_t nonce[16];
    if (RAND_bytes(nonce, sizeof nonce) != 1)
      return ObjectError(absl::StatusCode::kInternal, description_, name,
                         "no random bytes for the block IDs");
    std::vector<std::string> ids(blocks);
    for (size_t i = 0; i < blocks; ++i) ids[i] = AzureBlockId(nonce, static_cast<uint32_t>(i));

    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mu;
    absl::Status first_error;
    auto worker = [&] {
      for (size_t i; !failed.load() && (i = next.fetch_add(1)) < blocks;) {
        ByteView block = data.subspan(i * block_size,
                                      std::min<uint64_t>(block_size, data.size() - i * block_size));
        const std::string operation = StoreCat("Put Block ", i + 1, " of ", blocks);
        Call call = BlobCall(operation, "PUT", name);
        call.query = {{"comp", "block"}, {"blockid", ids[i]}};
        call.headers = {{"Content-MD5", Md5Base64(block)}};
        call.body = block;
        absl::Status status = Perform(call).status();
        if (!status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (first_error.ok()) first_error = status;
          failed = true;
        }
      }
    };
    const size_t threads = std::min(std::max<size_t>(options_.upload_concurrency, 1), blocks);
    std::vector<std::thread> helpers;
    try {
      for (size_t t = 1; t < threads; ++t) helpers.emplace_back(worker);
    } catch (const std::system_error&) {
      // No more threads to be had: the ones running (and this one) do it all.
    }
    worker();
    for (std::thread& helper : helpers) helper.join();
    if (!first_error.ok()) return first_error;

    const std::string list = AzureBlockListXml(ids);
    Call call = BlobCall("Put Block List", "PUT", name);
    call.query = {{"comp", "blocklist"}};
    call.headers = {{"Content-Type", "application/xml"},
                    {"Content-MD5", Md5Base64(AsBytes(list))},
                    {"x-ms-blob-content-md5", Md5Base64(data)},
                    {"x-ms-blob-content-type", std::string(kOctetStream)}};
    AddLockHeaders(name, call.headers);  // the policy applies to the committed blob
    call.body = AsBytes(list);
    call.create_only = create_only;
    return Perform(call).status();
  }

  // Sends `call` and returns its 2xx answer; any other answer or a transport
  // failure becomes a status naming the store, the object and the operation.
  absl::StatusOr<HttpResponse> Perform(const Call& call) const {
    if (call.create_only) {
      // Both "exists" answers: 409 BlobAlreadyExists, 412 ConditionNotMet.
      Call conditional = call;
      conditional.headers.emplace_back("If-None-Match", "*");
      conditional.create_only = false;
      std::string signature;
      absl::StatusOr<HttpResponse> response = Send(conditional, &signature);
      if (response.ok() && (response->status == 409 || response->status == 412)) {
        std::string code = ParseAzureError(*response).code;
        if (code.empty() || code == "BlobAlreadyExists" || code == "ConditionNotMet")
          return ObjectError(absl::StatusCode::kAlreadyExists, description_, call.object,
                             "already exists");
      }
      return Checked(conditional, std::move(response), signature);
    }
    std::string signature;
    absl::StatusOr<HttpResponse> response = Send(call, &signature);
    return Checked(call, std::move(response), signature);
  }

  absl::StatusOr<HttpResponse> Checked(const Call& call, absl::StatusOr<HttpResponse> response,
                                       std::string_view signature) const {
    if (!response.ok()) {
      std::string what = StoreCat(call.operation, ": ", std::string(response.status().message()));
      if (call.object.empty())
        return absl::Status(response.status().code(),
                            StoreCat(description_, ": container ", options_.container, ": ", what));
      return ObjectError(response.status().code(), description_, call.object, what);
    }
    if (response->status >= 200 && response->status < 300) return response;
    AzureErrorContext context;
    context.store = description_;
    context.object = call.object;
    context.container = options_.container;
    context.operation = call.operation;
    context.using_sas = key_.empty();
    context.secrets = {options_.account_key, sas_signature_.first, sas_signature_.second,
                       signature};
    return AzureResponseError(context, *response);
  }

  // Builds, signs and sends the request; any HTTP status is a response.
  absl::StatusOr<HttpResponse> Send(const Call& call, std::string* signature) const {
    std::string path = StoreCat(endpoint_.base_path, "/", options_.container);
    if (!call.blob.empty()) path += StoreCat("/", AzurePercentEncode(call.blob, true));
    std::string query;
    for (const auto& [name, value] : call.query)
      query += StoreCat(query.empty() ? "" : "&", AzurePercentEncode(name, false), "=",
                        AzurePercentEncode(value, false));
    if (key_.empty()) query += StoreCat(query.empty() ? "" : "&", sas_);

    HttpRequest request;
    request.method = call.method;
    request.url = StoreCat(endpoint_.origin, path, query.empty() ? "" : "?", query);
    request.headers = {{"x-ms-date", AzureHttpDate(absl::Now())},
                       {"x-ms-version", std::string(kAzureApiVersion)}};
    request.headers.insert(request.headers.end(), call.headers.begin(), call.headers.end());
    if (!key_.empty()) {
      AzureSharedKeyRequest to_sign{call.method, path, call.query, request.headers,
                                    call.body.size()};
      COFFER_ASSIGN_OR_RETURN(AzureSharedKeySignature signed_request,
                              SignAzureSharedKey(to_sign, account_, key_));
      *signature = signed_request.signature;
      request.headers.emplace_back("Authorization", std::move(signed_request.authorization));
    }
    request.body = call.body;
    request.body_sink = call.body_sink;
    return http_->Send(request);
  }

  const AzureStoreOptions options_;
  const AzureEndpoint endpoint_;
  Bytes key_;  // Decoded; empty when the SAS token authenticates.
  const std::string sas_;
  const std::pair<std::string, std::string> sas_signature_;
  const std::string account_;
  const std::string blob_prefix_;  // options_.prefix + "/", or "".
  const std::string description_;
  const std::unique_ptr<HttpClient> http_;
  std::mutex lock_mu_;
  std::optional<ObjectLockPolicy> lock_policy_;  // guarded by lock_mu_
};

absl::Status CheckLimits(const AzureStoreOptions& options) {
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(StoreCat("Azure store options: ", what));
  };
  if (options.block_size == 0 || options.block_size > kMaxBlockSize)
    return bad(StoreCat("block_size must be 1 byte to ", kMaxBlockSize >> 20, " MiB"));
  if (options.single_put_threshold > kMaxSinglePut)
    return bad(StoreCat("single_put_threshold must be at most ", kMaxSinglePut >> 20, " MiB"));
  if (options.upload_concurrency == 0) return bad("upload_concurrency must be at least 1");
  if (options.list_page_size < 0 || options.list_page_size > kMaxListPage)
    return bad(StoreCat("list_page_size must be 0 (the service's default) to ", kMaxListPage));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> NewAzureStore(AzureStoreOptions options) {
  COFFER_RETURN_IF_ERROR(CheckLimits(options));
  COFFER_ASSIGN_OR_RETURN(AzureEndpoint endpoint,
                          ParseAzureEndpoint(options.endpoint, "Azure store options"));
  if (absl::Status s = CheckAzureContainerName(options.container); !s.ok())
    return absl::InvalidArgumentError(StoreCat("Azure store options: ", std::string(s.message())));
  while (options.prefix.ends_with('/')) options.prefix.pop_back();
  if (!options.prefix.empty()) {
    absl::Status s = ValidateObjectName(options.prefix);
    if (s.ok()) s = CheckAzureBlobName(options.prefix);
    if (!s.ok())
      return absl::InvalidArgumentError(StoreCat("Azure store options: prefix \"", options.prefix,
                                                 "\": ", std::string(s.message())));
  }
  std::string account =
      options.account.empty() ? AzureAccountFromEndpoint(endpoint) : options.account;
  Bytes key;
  std::string sas;
  if (!options.account_key.empty()) {
    COFFER_ASSIGN_OR_RETURN(key,
                            DecodeAzureAccountKey(options.account_key, "the Azure account key"));
    if (account.empty())
      return absl::InvalidArgumentError(
          "Azure store options: Shared Key signing needs the account name");
  } else if (!options.sas_token.empty()) {
    COFFER_ASSIGN_OR_RETURN(sas, NormalizeAzureSasToken(options.sas_token, "the Azure SAS token"));
  } else {
    return absl::InvalidArgumentError(
        "Azure store options: no credential (an account key or a SAS token is needed)");
  }
  COFFER_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http, HttpClient::Create(options.http));
  return std::unique_ptr<Store>(new AzureStore(std::move(options), std::move(endpoint),
                                               std::move(key), std::move(sas), std::move(account),
                                               std::move(http)));
}

absl::StatusOr<std::unique_ptr<Store>> OpenAzureLocation(std::string_view rest) {
  COFFER_ASSIGN_OR_RETURN(AzureStoreOptions options,
                          ResolveAzureLocation(rest, AzureProcessEnvironment));
  return NewAzureStore(std::move(options));
}

}  // namespace coffer
