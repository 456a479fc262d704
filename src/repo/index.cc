#include "repo/index.h"

#include <algorithm>

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

namespace {
// The added map is folded into the table once it holds this many blobs, or a
// quarter of the table's, whichever is more: amortised O(1) per added blob,
// and the map (about 60 bytes per blob) never dominates memory.
constexpr size_t kMinCompaction = size_t{1} << 16;
}  // namespace

uint32_t Index::PackNumber(const Id& pack) {
  auto table_end = packs_.begin() + table_.pack_count();
  auto it = std::lower_bound(packs_.begin(), table_end, pack);
  if (it != table_end && *it == pack) return static_cast<uint32_t>(it - packs_.begin());
  auto [slot, inserted] = added_packs_.try_emplace(pack, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.push_back(pack);
  return slot->second;
}

void Index::AddPack(const PackContents& pack) {
  uint32_t number = PackNumber(pack.pack);
  for (const PackedBlob& b : pack.blobs) {
    // First location wins: a blob stored twice (concurrent backups) is
    // readable from either copy.
    if (table_.Has(b.id)) continue;
    added_.try_emplace(b.id, BlobLocation{number, b.offset, b.length, b.raw_length, b.type});
  }
  if (added_.size() >= std::max(kMinCompaction, table_.size() / 4)) Compact();
}

void Index::Merge(const IndexObject& object) {
  size_t incoming = 0;
  for (const PackContents& pack : object.packs) incoming += pack.blobs.size();
  // A merge that would fill the added map up to its compaction point anyway
  // (the end of a large backup) goes straight into a new table: the map,
  // at about 60 bytes per blob, would otherwise be the peak of that moment.
  if (added_.size() + incoming >= std::max(kMinCompaction, table_.size() / 4)) {
    Rebuild(&object);
    return;
  }
  for (const PackContents& pack : object.packs) AddPack(pack);
}

void Index::HasMany(std::span<const Id> blobs, bool* found) const {
  table_.HasMany(blobs, found);
  if (added_.empty()) return;
  for (size_t i = 0; i < blobs.size(); ++i)
    if (!found[i]) found[i] = added_.contains(blobs[i]);
}

std::optional<BlobRef> Index::Find(const Id& blob) const {
  if (auto loc = table_.Find(blob)) return Expand(blob, *loc);
  if (added_.empty()) return std::nullopt;
  auto it = added_.find(blob);
  if (it == added_.end()) return std::nullopt;
  return Expand(it->first, it->second);
}

void Index::Compact() {
  if (!compact()) Rebuild(nullptr);
}

void Index::Rebuild(const IndexObject* more) {
  IndexBuilder builder;
  for (const Id& pack : packs_) builder.AddPackId(pack);  // same numbers
  table_.ForEach([&](const Id& id, const BlobLocation& loc) {
    builder.AddBlob(loc.pack, PackedBlob{loc.type, id, loc.offset, loc.length, loc.raw_length});
  });
  for (const auto& [id, loc] : added_)
    builder.AddBlob(loc.pack, PackedBlob{loc.type, id, loc.offset, loc.length, loc.raw_length});
  // Added last, so a blob the index already has keeps its first location.
  if (more != nullptr) builder.Merge(*more);
  *this = Index();  // release the old table before the new one is built
  *this = std::move(builder).Build();
}

absl::StatusOr<Index> Index::FromTable(IndexTable table, std::vector<Id> packs) {
  if (packs.size() != table.pack_count() || !std::is_sorted(packs.begin(), packs.end()) ||
      std::adjacent_find(packs.begin(), packs.end()) != packs.end())
    return absl::DataLossError("index table: pack list does not match");
  Index index;
  index.table_ = std::move(table);
  index.packs_ = std::move(packs);
  return index;
}

size_t Index::MemoryUsage() const {
  return sizeof(*this) + table_.MemoryUsage() + packs_.capacity() * sizeof(Id) +
         added_packs_.capacity() * (sizeof(std::pair<const Id, uint32_t>) + 1) +
         added_.capacity() * (sizeof(std::pair<const Id, BlobLocation>) + 1);
}

// ---- IndexBuilder ----

namespace {
// Records are kept in blocks of 3.4 MB: no reallocation copies, and big
// enough for huge pages (the build reads them in id order, at random).
constexpr size_t kBlockBits = 16;
constexpr size_t kBlockSize = size_t{1} << kBlockBits;

uint64_t Prefix64(const Id& id) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | id.bytes[i];
  return v;
}
}  // namespace

IndexBuilder::IndexBuilder() = default;
IndexBuilder::~IndexBuilder() = default;
IndexBuilder::IndexBuilder(IndexBuilder&&) noexcept = default;
IndexBuilder& IndexBuilder::operator=(IndexBuilder&&) noexcept = default;

IndexBuilder::Record& IndexBuilder::At(size_t i) { return blocks_[i >> kBlockBits][i & (kBlockSize - 1)]; }

uint32_t IndexBuilder::AddPackId(const Id& pack) {
  auto [it, inserted] = pack_numbers_.try_emplace(pack, static_cast<uint32_t>(packs_.size()));
  if (inserted) packs_.push_back(pack);
  return it->second;
}

void IndexBuilder::AddBlob(uint32_t pack_number, const PackedBlob& blob) {
  if ((count_ & (kBlockSize - 1)) == 0 && (count_ >> kBlockBits) == blocks_.size())
    blocks_.emplace_back(kBlockSize);
  At(count_++) = Record{blob.id, pack_number, blob.offset, blob.length, blob.raw_length, blob.type};
}

void IndexBuilder::AddPack(const PackContents& pack) {
  uint32_t number = AddPackId(pack.pack);
  for (const PackedBlob& b : pack.blobs) AddBlob(number, b);
}

void IndexBuilder::Merge(const IndexObject& object) {
  for (const PackContents& pack : object.packs) AddPack(pack);
}

Index IndexBuilder::Build() && {
  // Sort record numbers by id; equal ids keep the first added.
  struct Key {
    uint64_t prefix;
    uint32_t seq;
    bool operator<(const Key& o) const { return prefix != o.prefix ? prefix < o.prefix : seq < o.seq; }
  };
  PodArray<Key> keys(count_);
  for (size_t i = 0; i < count_; ++i) keys[i] = Key{Prefix64(At(i).id), static_cast<uint32_t>(i)};
  std::sort(keys.begin(), keys.end());
  size_t unique = 0;
  for (size_t i = 0; i < count_;) {
    size_t j = i + 1;
    while (j < count_ && keys[j].prefix == keys[i].prefix) ++j;
    if (j - i > 1)  // same first 8 bytes: order by the whole id, then by seq
      std::sort(keys.begin() + i, keys.begin() + j, [&](const Key& a, const Key& b) {
        const Id& x = At(a.seq).id;
        const Id& y = At(b.seq).id;
        return x != y ? x < y : a.seq < b.seq;
      });
    for (size_t k = i; k < j; ++k)
      if (k == i || At(keys[k].seq).id != At(keys[k - 1].seq).id) keys[unique++].seq = keys[k].seq;
    i = j;
  }

  // Packs in id order, so a pack's number is found by binary search.
  std::vector<uint32_t> by_id(packs_.size());
  for (uint32_t p = 0; p < by_id.size(); ++p) by_id[p] = p;
  std::sort(by_id.begin(), by_id.end(), [&](uint32_t a, uint32_t b) { return packs_[a] < packs_[b]; });
  std::vector<uint32_t> renumber(packs_.size());
  std::vector<Id> sorted_packs(packs_.size());
  for (uint32_t k = 0; k < by_id.size(); ++k) {
    renumber[by_id[k]] = k;
    sorted_packs[k] = packs_[by_id[k]];
  }

  class Source : public IndexTable::Source {
   public:
    Source(IndexBuilder& b, const PodArray<Key>& keys, size_t n, const std::vector<uint32_t>& renumber)
        : b_(b), keys_(keys), n_(n), renumber_(renumber) {}
    size_t size() const override { return n_; }
    const Id& id(size_t i) const override { return b_.At(keys_[i].seq).id; }
    BlobLocation location(size_t i) const override {
      const Record& r = b_.At(keys_[i].seq);
      return BlobLocation{renumber_[r.pack], r.offset, r.length, r.raw_length, r.type};
    }

   private:
    IndexBuilder& b_;
    const PodArray<Key>& keys_;
    size_t n_;
    const std::vector<uint32_t>& renumber_;
  };
  Index index;
  index.table_ = IndexTable::Build(Source(*this, keys, unique, renumber), static_cast<uint32_t>(packs_.size()));
  index.packs_ = std::move(sorted_packs);
  return index;
}

}  // namespace coffer
