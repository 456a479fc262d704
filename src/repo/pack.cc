#include "repo/pack.h"

#include "absl/strings/str_cat.h"
#include "base/byte_io.h"
#include "base/status_macros.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {
constexpr uint8_t kMagic[4] = {'C', 'F', 'P', 'K'};
constexpr uint8_t kPackVersion = 1;
}  // namespace

PackBuilder::PackBuilder(Cipher cipher, const Key32& repo_public_key, Bytes buffer, size_t reserve)
    : cipher_(cipher), data_key_(Key32::Random()), bytes_(std::move(buffer)) {
  bytes_.reserve(reserve);
  bytes_.assign(std::begin(kMagic), std::end(kMagic));
  bytes_.push_back(kPackVersion);
  Bytes sealed = SealKeyTo(repo_public_key, data_key_);
  bytes_.insert(bytes_.end(), sealed.begin(), sealed.end());
}

void PackBuilder::Add(BlobType type, const Id& id, ByteView payload, uint32_t raw_length) {
  PackedBlob blob{type, id, static_cast<uint32_t>(bytes_.size()), 0, raw_length};
  SealAppend(cipher_, data_key_, payload, id.bytes, bytes_);
  blob.length = static_cast<uint32_t>(bytes_.size() - blob.offset);
  blobs_.push_back(blob);
}

Bytes PackBuilder::Finish() {
  ByteWriter header;
  header.Varint(blobs_.size());
  for (const PackedBlob& b : blobs_) {
    header.U8(static_cast<uint8_t>(b.type));
    header.PutId(b.id);
    header.Varint(b.offset);
    header.Varint(b.length);
    header.Varint(b.raw_length);
  }
  size_t before = bytes_.size();
  SealAppend(cipher_, data_key_, header.bytes(), AsBytes(kPackHeaderAad), bytes_);
  ByteWriter trailer;
  trailer.U32(static_cast<uint32_t>(bytes_.size() - before));
  bytes_.insert(bytes_.end(), trailer.bytes().begin(), trailer.bytes().end());
  return std::move(bytes_);
}

absl::StatusOr<Key32> OpenPackDataKey(ByteView prefix, const KeyPair& repo_keys) {
  if (prefix.size() < kPackPrefixSize || !std::equal(std::begin(kMagic), std::end(kMagic), prefix.begin()))
    return absl::DataLossError("not a coffer pack (bad magic)");
  if (prefix[4] != kPackVersion)
    return absl::DataLossError(absl::StrCat("unsupported pack version ", prefix[4]));
  return OpenSealedKey(repo_keys, prefix.subspan(5, kSealedKeySize));
}

absl::StatusOr<Bytes> OpenPackedBlob(const Key32& data_key, const Id& id, ByteView envelope) {
  return Open(data_key, envelope, id.bytes);
}

absl::StatusOr<std::vector<PackedBlob>> ReadPackHeader(ByteView pack, const KeyPair& repo_keys) {
  if (pack.size() < kPackPrefixSize + 4) return absl::DataLossError("pack is truncated");
  COFFER_ASSIGN_OR_RETURN(Key32 key, OpenPackDataKey(pack, repo_keys));
  ByteReader tail(pack.subspan(pack.size() - 4));
  uint32_t header_len = *tail.U32();
  if (header_len > pack.size() - kPackPrefixSize - 4)
    return absl::DataLossError("pack header length is out of range");
  size_t header_start = pack.size() - 4 - header_len;
  COFFER_ASSIGN_OR_RETURN(Bytes header,
                          Open(key, pack.subspan(header_start, header_len), AsBytes(kPackHeaderAad)));
  return ParsePackHeader(header, header_start);
}

absl::StatusOr<std::vector<PackedBlob>> ParsePackHeader(ByteView header, uint64_t header_start) {
  ByteReader r(header);
  auto count = r.Varint();
  // Each entry takes at least 36 bytes (type, id, three one-byte varints), so
  // a count above remaining()/36 is a lie: refuse it before reserving.
  constexpr size_t kMinEntrySize = 1 + Id::kSize + 3;
  if (!count || *count > kMaxBlobsPerPack || *count > r.remaining() / kMinEntrySize)
    return absl::DataLossError("pack header: bad blob count");
  std::vector<PackedBlob> blobs;
  blobs.reserve(*count);
  for (uint64_t i = 0; i < *count; ++i) {
    auto type = r.U8();
    auto id = r.GetId();
    auto offset = r.Varint(), length = r.Varint(), raw = r.Varint();
    if (!type || !id || !offset || !length || !raw || (*type != 1 && *type != 2) ||
        *offset < kPackPrefixSize || *offset > header_start || *length > header_start - *offset ||
        *raw > UINT32_MAX)
      return absl::DataLossError(absl::StrCat("pack header: malformed entry ", i));
    blobs.push_back({static_cast<BlobType>(*type), *id, static_cast<uint32_t>(*offset),
                     static_cast<uint32_t>(*length), static_cast<uint32_t>(*raw)});
  }
  return blobs;
}

}  // namespace coffer
