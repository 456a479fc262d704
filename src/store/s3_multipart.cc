#include "store/s3_multipart.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/status_macros.h"
#include "store/checksums.h"
#include "store/s3_xml.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

constexpr uint64_t kMaxParts = 10000;

class MultipartUpload {
 public:
  MultipartUpload(const S3Client& client, const std::string& key, std::string_view name,
                  ByteView data, const HttpHeaders& create_headers)
      : create_headers_(create_headers),
        client_(client),
        key_(key),
        name_(name),
        data_(data),
        part_size_(S3EffectivePartSize(data.size(), client.options().part_size)),
        parts_(std::max<uint64_t>(1, (data.size() + part_size_ - 1) / part_size_)),
        etags_(parts_) {}

  absl::Status Run(bool if_absent) {
    COFFER_RETURN_IF_ERROR(Create());
    absl::Status status = UploadParts();
    if (status.ok()) status = Complete(if_absent);
    if (!status.ok()) return WithAbort(std::move(status));
    return absl::OkStatus();
  }

 private:
  absl::Status Create() {
    S3Call call;
    call.method = "POST";
    call.key = key_;
    call.query = {{"uploads", ""}};
    call.headers = create_headers_;
    call.object = name_;
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_.Send(call));
    absl::StatusOr<std::string> id = ParseS3InitiateMultipartUpload(AsChars(response.body));
    if (!id.ok()) return Error(id.status(), "starting a multipart upload");
    upload_id_ = std::move(*id);
    return absl::OkStatus();
  }

  // Workers take the next part until all are sent or one fails; the first
  // failure stops the others from starting new parts.
  absl::Status UploadParts() {
    const size_t workers = std::min<uint64_t>(parts_, client_.options().max_parallel_parts);
    std::vector<std::thread> threads;
    for (size_t i = 1; i < workers; ++i) threads.emplace_back([this] { Work(); });
    Work();
    for (std::thread& thread : threads) thread.join();
    std::lock_guard lock(mu_);
    return first_error_;
  }

  void Work() {
    while (!failed_.load()) {
      uint64_t part = next_part_.fetch_add(1);
      if (part >= parts_) return;
      absl::Status status = UploadPart(part);
      if (!status.ok()) {
        std::lock_guard lock(mu_);
        if (first_error_.ok()) first_error_ = std::move(status);
        failed_.store(true);
      }
    }
  }

  absl::Status UploadPart(uint64_t index) {
    const uint64_t offset = index * part_size_;
    ByteView body = data_.subspan(offset, std::min<uint64_t>(part_size_, data_.size() - offset));
    S3Call call;
    call.method = "PUT";
    call.key = key_;
    call.query = {{"partNumber", std::to_string(index + 1)}, {"uploadId", upload_id_}};
    call.headers = {{"Content-MD5", Md5Base64(body)}};
    call.body = body;
    call.object = name_;
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_.Send(call));
    std::optional<std::string_view> etag = response.Header("etag");
    if (!etag || etag->empty())
      return ObjectError(absl::StatusCode::kUnavailable, client_.Describe(), name_,
                         StoreCat("S3 answered part ", index + 1, " without an ETag"));
    etags_[index] = std::string(*etag);
    return absl::OkStatus();
  }

  absl::Status Complete(bool if_absent) {
    const std::string xml = BuildS3CompleteMultipartUpload(etags_);
    S3Call call;
    call.method = "POST";
    call.key = key_;
    call.query = {{"uploadId", upload_id_}};
    call.headers = {{"Content-Type", "application/xml"}};
    if (if_absent) {
      call.headers.emplace_back("If-None-Match", "*");
      call.pass_statuses = {412};
    }
    call.body = AsBytes(xml);
    call.object = name_;
    COFFER_ASSIGN_OR_RETURN(HttpResponse response, client_.Send(call));
    if (response.status == 412)
      return ObjectError(absl::StatusCode::kAlreadyExists, client_.Describe(), name_,
                         "already exists");
    // S3 may answer 200 and still fail: the error is then in the body.
    if (ParseS3ErrorDocument(AsChars(response.body)))
      return client_.ResponseError(response, name_, "");
    return absl::OkStatus();
  }

  // Aborts the upload (best effort) and returns `status`, noting a failed abort.
  absl::Status WithAbort(absl::Status status) {
    S3Call call;
    call.method = "DELETE";
    call.key = key_;
    call.query = {{"uploadId", upload_id_}};
    call.object = name_;
    call.pass_statuses = {404};  // Already gone: nothing left to abort.
    absl::StatusOr<HttpResponse> aborted = client_.Send(call);
    if (aborted.ok()) return status;
    return absl::Status(
        status.code(),
        StoreCat(std::string(status.message()), " (aborting multipart upload ", upload_id_,
                 " failed too, its parts may stay stored until a lifecycle rule "
                 "removes them: ",
                 std::string(aborted.status().message()), ")"));
  }

  absl::Status Error(const absl::Status& status, std::string_view what) const {
    return ObjectError(status.code(), client_.Describe(), name_,
                       StoreCat(what, ": ", std::string(status.message())));
  }

  const HttpHeaders create_headers_;  // first: initialised before the others
  const S3Client& client_;
  const std::string& key_;
  const std::string_view name_;
  const ByteView data_;
  const uint64_t part_size_;
  const uint64_t parts_;
  std::string upload_id_;
  std::vector<std::string> etags_;  // One per part; each written by one worker only.
  std::atomic<uint64_t> next_part_{0};
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  absl::Status first_error_;  // Guarded by mu_.
};

}  // namespace

uint64_t S3EffectivePartSize(uint64_t object_size, uint64_t part_size) {
  part_size = std::max<uint64_t>(part_size, 1);
  return std::max(part_size, (object_size + kMaxParts - 1) / kMaxParts);
}

absl::Status S3MultipartPut(const S3Client& client, const std::string& key, std::string_view name,
                            ByteView data, bool if_absent, const HttpHeaders& create_headers) {
  MultipartUpload upload(client, key, name, data, create_headers);
  return upload.Run(if_absent);
}

}  // namespace coffer
