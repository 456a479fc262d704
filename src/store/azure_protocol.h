// The Azure Blob service's wire format, as pure functions: how blob names go
// into URLs, the List Blobs response, block IDs and the Put Block List body.
// Spec: Azure Storage REST API reference ("Naming and referencing containers,
// blobs and metadata", "List Blobs", "Put Block", "Put Block List").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "store/store.h"

namespace coffer {

// Percent-encodes every byte except A-Z a-z 0-9 '-' '_' '.' '~' (and '/' when
// `keep_slash`), with upper-case hex; UTF-8 is encoded byte by byte. A blob
// path is sent encoded this way and signed exactly as sent.
std::string AzurePercentEncode(std::string_view s, bool keep_slash);
// Decodes %XX escapes; nullopt for a malformed escape.
std::optional<std::string> AzurePercentDecode(std::string_view s);

// Azure's own limits on a blob name beyond ValidateObjectName: the service
// turns '\' into '/' and drops trailing dots of a path segment, so such names
// would alias others. InvalidArgument saying which rule, otherwise OK.
absl::Status CheckAzureBlobName(std::string_view name);
inline constexpr size_t kAzureMaxBlobNameBytes = 1024;

// Container names: 3-63 characters of a-z 0-9 '-', starting and ending with a
// letter or digit, no "--". InvalidArgument saying which rule, otherwise OK.
absl::Status CheckAzureContainerName(std::string_view name);

// One page of a List Blobs answer.
struct AzureListPage {
  std::vector<ObjectInfo> blobs;  // Full blob names (prefix included) and sizes.
  std::string next_marker;        // Empty on the last page.
};

// Parses a List Blobs response body: EnumerationResults/Blobs/Blob with Name
// (percent-decoded when Encoded="true") and Properties/Content-Length, and
// NextMarker. InvalidArgument describing what is wrong for a body that is not
// that document (not XML, no EnumerationResults, a blob without a name or
// with a bad size); the caller adds the store and maps the code.
absl::StatusOr<AzureListPage> ParseAzureListBlobs(ByteView body);

// The block ID of block `index` of an upload: base64 of the upload's 16-byte
// nonce followed by the index (4 bytes, big-endian). All IDs of a blob have
// the same length, as Azure requires; the nonce keeps two concurrent uploads
// to the same name from mixing each other's uncommitted blocks.
std::string AzureBlockId(ByteView nonce, uint32_t index);

// The Put Block List body committing `block_ids` in order (all "Latest").
std::string AzureBlockListXml(const std::vector<std::string>& block_ids);

// The object size TOTAL from a Content-Range value "bytes FIRST-LAST/TOTAL"
// or "bytes */TOTAL"; nullopt when absent or malformed.
std::optional<uint64_t> AzureContentRangeTotal(std::string_view content_range);

}  // namespace coffer
