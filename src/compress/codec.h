// Per-blob compression. A compressed blob payload is
//   [codec: u8][raw length: varint][codec data]
// and a blob whose compressed form would not be smaller is stored with codec
// kNone, so incompressible data costs one or two bytes, never a slowdown on
// restore.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "base/bytes.h"

namespace coffer {

enum class Codec : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };

// The default for new repositories is zstd at level 3: on real system files it
// stores as small as restic's default (docs/PERFORMANCE.md) and costs little
// more CPU than lz4 because fewer bytes are encrypted, hashed and written.
struct Compression {
  Codec codec = Codec::kZstd;
  int level = 0;  // 0 = the codec's default (zstd: 3); ignored by lz4/none
};

std::string_view CodecName(Codec codec);  // "none", "lz4", "zstd"
std::optional<Codec> ParseCodecName(std::string_view name);

// Never fails; falls back to kNone when compression does not help.
Bytes CompressBlob(ByteView raw, const Compression& compression);
// The same into `out` (its contents replaced, its capacity kept): a writer
// that reuses one buffer per thread allocates nothing per blob, so freed
// chunk-sized blocks do not pile up in the allocator's arenas.
void CompressBlobInto(ByteView raw, const Compression& compression, Bytes& out);

// Fails with DataLoss on a malformed payload, an unknown codec, or a raw
// length above `max_raw_size` (protects against decompression bombs).
absl::StatusOr<Bytes> DecompressBlob(ByteView payload, size_t max_raw_size);

}  // namespace coffer
