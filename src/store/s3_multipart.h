// Multipart upload of one object for the S3 store: CreateMultipartUpload,
// the parts (each with Content-MD5 and its signed SHA-256) sent from up to
// `max_parallel_parts` threads, CompleteMultipartUpload, and
// AbortMultipartUpload as soon as anything fails, so no half-upload is left
// to be billed. The object appears whole at completion or not at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "base/bytes.h"
#include "store/s3_client.h"

namespace coffer {

// S3 allows at most 10,000 parts; the part size grows past `part_size` when
// `object_size` needs it.
uint64_t S3EffectivePartSize(uint64_t object_size, uint64_t part_size);

// Uploads `data` as `key` (object `name` in messages). With `if_absent`, the
// completion carries "If-None-Match: *" and a 412 answer is AlreadyExists.
// `create_headers` go on CreateMultipartUpload (object lock retention).
absl::Status S3MultipartPut(const S3Client& client, const std::string& key, std::string_view name,
                            ByteView data, bool if_absent, const HttpHeaders& create_headers = {});

}  // namespace coffer
