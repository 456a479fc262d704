// Packs: many encrypted blobs in one store object (data/xx/<sha256>).
//
//   magic "CFPK" | version u8 = 1 | sealed data key (80 bytes)
//   blob envelope 0 | blob envelope 1 | ...
//   header envelope | header envelope length (u32 LE)
//
// Each pack has a fresh random data key sealed to the repository's public
// key. Each blob is an AEAD envelope of its compressed payload under that key
// with the blob ID as associated data; the header (type, id, offset, length,
// raw length of every blob) is an envelope too, so a pack can be re-indexed
// from its own contents (repair) by a holder of the secret key.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "base/bytes.h"
#include "base/id.h"
#include "crypto/aead.h"
#include "crypto/sealed_box.h"

namespace coffer {

enum class BlobType : uint8_t { kData = 1, kTree = 2 };

struct PackedBlob {
  BlobType type = BlobType::kData;
  Id id;
  uint32_t offset = 0;      // of the envelope, from the start of the pack
  uint32_t length = 0;      // of the envelope
  uint32_t raw_length = 0;  // of the plaintext
};

inline constexpr size_t kPackPrefixSize = 4 + 1 + kSealedKeySize;
// Readers refuse packs with more blobs; writers close a pack before it.
inline constexpr uint64_t kMaxBlobsPerPack = 1u << 22;

class PackBuilder {
 public:
  // `buffer` is reused storage (its contents are discarded) and `reserve`
  // the expected final size, so appending never reallocates and copies.
  PackBuilder(Cipher cipher, const Key32& repo_public_key, Bytes buffer = {}, size_t reserve = 0);

  // Encrypts `payload` (a CompressBlob result) into the pack.
  void Add(BlobType type, const Id& id, ByteView payload, uint32_t raw_length);
  size_t size() const { return bytes_.size(); }
  size_t blob_count() const { return blobs_.size(); }
  const std::vector<PackedBlob>& blobs() const { return blobs_; }

  // Appends header and trailer and returns the finished pack.
  // REQUIRES: called once.
  Bytes Finish();

 private:
  Cipher cipher_;
  Key32 data_key_;
  Bytes bytes_;
  std::vector<PackedBlob> blobs_;
};

// Recovers a pack's data key from its first kPackPrefixSize bytes.
absl::StatusOr<Key32> OpenPackDataKey(ByteView prefix, const KeyPair& repo_keys);

// Decrypts one blob envelope; returns its payload (still compressed).
absl::StatusOr<Bytes> OpenPackedBlob(const Key32& data_key, const Id& id, ByteView envelope);

// Parses the header of a whole pack (for repair and check).
absl::StatusOr<std::vector<PackedBlob>> ReadPackHeader(ByteView pack, const KeyPair& repo_keys);
// The parsing half of ReadPackHeader: `header` is the decrypted header and
// `header_start` the offset of its envelope in the pack (every blob must lie
// between the pack's prefix and it).
absl::StatusOr<std::vector<PackedBlob>> ParsePackHeader(ByteView header, uint64_t header_start);

}  // namespace coffer
