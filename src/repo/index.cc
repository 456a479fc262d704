#include "repo/index.h"

#include "absl/strings/str_cat.h"
#include "base/byte_io.h"
#include "base/status_macros.h"
#include "compress/codec.h"
#include "crypto/aead.h"
#include "repo/object_kind.h"

namespace coffer {
namespace {
constexpr uint8_t kMagic[4] = {'C', 'F', 'I', 'X'};
constexpr uint8_t kIndexVersion = 1;
constexpr size_t kMaxIndexPlaintext = 1u << 30;
}  // namespace

Bytes EncryptIndexObject(const IndexObject& index, const Key32& index_key) {
  ByteWriter w;
  w.Raw(kMagic);
  w.U8(kIndexVersion);
  w.Varint(index.supersedes.size());
  for (const Id& id : index.supersedes) w.PutId(id);
  w.Varint(index.packs.size());
  for (const PackContents& pack : index.packs) {
    w.PutId(pack.pack);
    w.Varint(pack.blobs.size());
    for (const PackedBlob& b : pack.blobs) {
      w.U8(static_cast<uint8_t>(b.type));
      w.PutId(b.id);
      w.Varint(b.offset);
      w.Varint(b.length);
      w.Varint(b.raw_length);
    }
  }
  Bytes compressed = CompressBlob(w.bytes(), Compression{Codec::kZstd, 3});
  return Seal(Cipher::kXChaCha20Poly1305, index_key, compressed, AsBytes(kIndexAad));
}

absl::StatusOr<IndexObject> DecryptIndexObject(ByteView stored, const Key32& index_key) {
  COFFER_ASSIGN_OR_RETURN(Bytes compressed, Open(index_key, stored, AsBytes(kIndexAad)));
  COFFER_ASSIGN_OR_RETURN(Bytes plain, DecompressBlob(compressed, kMaxIndexPlaintext));
  return ParseIndexObject(plain);
}

absl::StatusOr<IndexObject> ParseIndexObject(ByteView plain) {
  ByteReader r(plain);
  auto magic = r.Raw(4);
  auto version = r.U8();
  if (!magic || !std::equal(magic->begin(), magic->end(), std::begin(kMagic)) || !version)
    return absl::DataLossError("index object: bad magic");
  if (*version != kIndexVersion)
    return absl::DataLossError(absl::StrCat("index object: unsupported version ", *version));
  IndexObject out;
  auto bad = [](std::string_view what) {
    return absl::DataLossError(absl::StrCat("index object: malformed ", std::string(what)));
  };
  auto superseded = r.Varint();
  // Each id takes 32 bytes, so a count above remaining()/32 is a lie.
  if (!superseded || *superseded > r.remaining() / Id::kSize) return bad("supersedes list");
  for (uint64_t i = 0; i < *superseded; ++i) out.supersedes.push_back(*r.GetId());
  auto packs = r.Varint();
  if (!packs || *packs > r.remaining() / Id::kSize) return bad("pack count");
  out.packs.reserve(*packs);
  for (uint64_t p = 0; p < *packs; ++p) {
    PackContents pack;
    auto pack_id = r.GetId();
    auto count = r.Varint();
    if (!pack_id || !count || *count > r.remaining() / (Id::kSize + 4)) return bad("pack entry");
    pack.pack = *pack_id;
    pack.blobs.reserve(*count);
    for (uint64_t i = 0; i < *count; ++i) {
      auto type = r.U8();
      auto id = r.GetId();
      auto offset = r.Varint(), length = r.Varint(), raw = r.Varint();
      if (!type || !id || !offset || !length || !raw || (*type != 1 && *type != 2) ||
          *offset > UINT32_MAX || *length > UINT32_MAX || *raw > UINT32_MAX)
        return bad("blob entry");
      pack.blobs.push_back({static_cast<BlobType>(*type), *id, static_cast<uint32_t>(*offset),
                            static_cast<uint32_t>(*length), static_cast<uint32_t>(*raw)});
    }
    out.packs.push_back(std::move(pack));
  }
  if (r.remaining() != 0) return bad("trailing bytes");
  return out;
}

void Index::AddPack(const PackContents& pack) {
  auto [it, inserted] = pack_numbers_.try_emplace(pack.pack, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.push_back(pack.pack);
  uint32_t number = it->second;
  for (const PackedBlob& b : pack.blobs) {
    // First location wins: a blob stored twice (concurrent backups) is
    // readable from either copy.
    blobs_.try_emplace(b.id, Location{number, b.offset, b.length, b.raw_length, b.type});
  }
}

void Index::Merge(const IndexObject& object) {
  for (const PackContents& pack : object.packs) AddPack(pack);
}

std::optional<BlobRef> Index::Find(const Id& blob) const {
  auto it = blobs_.find(blob);
  if (it == blobs_.end()) return std::nullopt;
  return Expand(it->first, it->second);
}

BlobRef Index::Expand(const Id& id, const Location& loc) const {
  return BlobRef{packs_[loc.pack], PackedBlob{loc.type, id, loc.offset, loc.length, loc.raw_length}};
}

}  // namespace coffer
