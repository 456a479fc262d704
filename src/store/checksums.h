// Upload-integrity checksums the cloud stores send with every write, so a
// body damaged on the way is rejected by the server instead of stored:
// Content-MD5 (S3, Azure Blob) and CRC32C (GCS, x-amz-checksum-crc32c).
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace coffer {

// Base64 of the 16-byte MD5 digest, as the Content-MD5 header wants it.
std::string Md5Base64(ByteView data);

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `data`, continuing
// from `crc` (0 to start), as defined in RFC 3720 §B.4.
uint32_t Crc32c(ByteView data, uint32_t crc = 0);

// Base64 of the CRC-32C in big-endian byte order, as GCS (crc32c) and S3
// (x-amz-checksum-crc32c) expect it.
std::string Crc32cBase64(ByteView data);

}  // namespace coffer
