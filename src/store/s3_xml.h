// The XML documents of the S3 REST API that the S3 store reads and writes,
// parsed with pugixml. Parsers never trust the server: a document that is not
// well-formed, has the wrong root or lacks a required element is an error
// (Unavailable: most often a truncated answer or a proxy's error page), never
// a crash or a silently empty result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace coffer {

// <Error><Code>…</Code><Message>…</Message>…</Error>
struct S3ErrorDocument {
  std::string code;     // "NoSuchKey", "SignatureDoesNotMatch", ...
  std::string message;  // Free text from the server.
  std::string bucket_name;
  std::string region;                          // <Region>, on some redirects.
  std::optional<uint64_t> actual_object_size;  // <ActualObjectSize>, with InvalidRange.
};

// The error document in `body`, or nullopt when `body` is not one (empty,
// not XML, or another root element).
std::optional<S3ErrorDocument> ParseS3ErrorDocument(std::string_view body);

struct S3ListedObject {
  std::string key;  // Decoded when the response says EncodingType=url.
  uint64_t size = 0;
};

// One page of a ListObjectsV2 answer (<ListBucketResult>).
struct S3ListPage {
  std::vector<S3ListedObject> objects;
  bool truncated = false;
  std::string next_continuation_token;  // Set when truncated.
  bool url_encoded = false;             // The server honoured encoding-type=url.
};

// Parses a ListObjectsV2 page. Keys are URL-decoded when (and only when) the
// response carries <EncodingType>url</EncodingType>: AWS encodes when asked,
// some S3-compatible servers ignore the request and send raw keys.
absl::StatusOr<S3ListPage> ParseS3ListObjectsV2(std::string_view body);

// The UploadId of an <InitiateMultipartUploadResult>.
absl::StatusOr<std::string> ParseS3InitiateMultipartUpload(std::string_view body);

// The body of CompleteMultipartUpload for parts 1..N with these ETags (as
// the server returned them, quotes included).
std::string BuildS3CompleteMultipartUpload(const std::vector<std::string>& part_etags);

// `text` with one more level of XML character references decoded ("&lt;" →
// "<"), or nullopt when it holds none or is not valid XML text. For servers
// that escape keys twice in listings (s3rver does).
std::optional<std::string> S3XmlUnescapeOnce(std::string_view text);

// Decodes %XX escapes and '+' (as space), as S3 writes keys with
// encoding-type=url. InvalidArgument on a bad escape.
absl::StatusOr<std::string> S3UrlDecode(std::string_view s);

}  // namespace coffer
