#include "repo/index_table.h"

#include <algorithm>
#include <bit>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "absl/strings/str_cat.h"

namespace coffer {
namespace {

constexpr size_t kBuckets = size_t{1} << 16;
constexpr uint64_t kPosMask = (uint64_t{1} << 40) - 1;
constexpr uint32_t kRowSample = 64;  // rowpack_ holds the pack of every 64th row
constexpr uint64_t kRawBias = 64;    // > envelope overhead + codec byte + varint
constexpr size_t kPadding = 16;      // bytes after rec_ and bits_ for unaligned 8-byte loads
constexpr uint32_t kTypeData = 1, kTypeTree = 2, kTypePerRow = 3;
// Raw lengths: all in full (kRawPlain), all small (kRawSmall), or a bitmap
// saying which rows hold them in full (kRawMixed).
constexpr uint32_t kRawPlain = 0, kRawSmall = 1, kRawMixed = 2;
constexpr uint32_t kSmallRawBits = 6;
// HasMany works on groups of this many ids.
constexpr size_t kGroup = 64;
// A guess is nearly always within this many entries of the answer (the
// standard deviation is at most sqrt(bucket size) / 2, about 6 at 10
// million blobs): both fp cache lines around it are fetched at once.
constexpr size_t kFpReach = 16;
// A lookup compares a window of this many fingerprints around its guess at
// once (about 2.5 standard deviations either side at 10 million blobs).
constexpr size_t kWindow = 32;
constexpr size_t kFpPadding = kWindow * 2;  // bytes after fp_, so a window may overhang its end

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline void StoreLE64(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

// Reads `width` (<= 56) bits at bit position `pos`.
inline uint64_t GetBits(const uint8_t* bits, uint64_t pos, uint32_t width) {
  return (LoadLE64(bits + (pos >> 3)) >> (pos & 7)) & ((uint64_t{1} << width) - 1);
}

// ORs `value` (< 2^width, width <= 56) in at bit position `pos`.
void PutBits(uint8_t* bits, uint64_t pos, uint32_t width, uint64_t value) {
  if (width == 0) return;
  StoreLE64(bits + (pos >> 3), LoadLE64(bits + (pos >> 3)) | value << (pos & 7));
}

uint32_t Width(uint64_t v) { return static_cast<uint32_t>(std::bit_width(v)); }

inline size_t Bucket(const Id& id) { return size_t{id.bytes[0]} << 8 | id.bytes[1]; }
inline uint16_t Fingerprint(const Id& id) { return static_cast<uint16_t>(id.bytes[2] << 8 | id.bytes[3]); }

// Bits 2k and 2k + 1 set when f[k] == fp, for k < kWindow (the layout of
// SSE2's byte masks). REQUIRES: f[0..kWindow) readable.
inline uint64_t EqualMask(const uint16_t* f, uint16_t fp) {
#ifdef __SSE2__
  const __m128i want = _mm_set1_epi16(static_cast<short>(fp));
  uint64_t mask = 0;
  for (int q = 0; q < 4; ++q) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(f + 8 * q));
    mask |= uint64_t{static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi16(v, want)))} << (16 * q);
  }
  return mask;
#else
  uint64_t mask = 0;
  for (size_t k = 0; k < kWindow; ++k) mask |= uint64_t{f[k] == fp ? 3u : 0u} << (2 * k);
  return mask;
#endif
}

// Ones among `n` bits from bit `pos`.
uint64_t CountOnes(const uint8_t* bits, uint64_t pos, uint64_t n) {
  uint64_t count = 0;
  for (; n >= 56; pos += 56, n -= 56) count += std::popcount(GetBits(bits, pos, 56));
  if (n > 0) count += std::popcount(GetBits(bits, pos, static_cast<uint32_t>(n)));
  return count;
}

// How one pack's rows are stored (a u64 of meta_bits_). Its area of bits:
//   [last blob's length, when lengths are derived][bitmap, kRawMixed]
//   [fixed-width part of every row][raw lengths]
struct PackFormat {
  uint32_t off = 0, len = 0, raw = 0;  // bit widths
  bool explicit_len = false;
  uint32_t raw_mode = kRawPlain;
  uint32_t type = 0;

  uint64_t Pack(uint64_t pos) const {
    return pos | uint64_t{off} << 40 | uint64_t{len} << 46 | uint64_t{raw} << 52 | uint64_t{explicit_len} << 58 |
           uint64_t{raw_mode} << 59 | uint64_t{type} << 61;
  }
  static PackFormat Unpack(uint64_t bits) {
    PackFormat f;
    f.off = (bits >> 40) & 63;
    f.len = (bits >> 46) & 63;
    f.raw = (bits >> 52) & 63;
    f.explicit_len = (bits >> 58) & 1;
    f.raw_mode = (bits >> 59) & 3;
    f.type = (bits >> 61) & 3;
    return f;
  }
  uint32_t fixed_bits() const { return off + (explicit_len ? len : 0) + (type == kTypePerRow ? 1 : 0); }
  uint64_t head_bits(uint64_t rows) const { return (explicit_len ? 0 : len) + (raw_mode == kRawMixed ? rows : 0); }
  // All bits of a pack's area when `plain` of its rows store the raw length in full.
  uint64_t AreaBits(uint64_t rows, uint64_t plain) const {
    uint64_t bits = head_bits(rows) + rows * fixed_bits();
    if (raw_mode == kRawPlain) return bits + rows * raw;
    if (raw_mode == kRawSmall) return bits + rows * kSmallRawBits;
    return bits + (rows - plain) * kSmallRawBits + plain * raw;
  }
};

// An incompressible blob's raw length is its envelope length minus a few
// bytes: stored as raw + kRawBias - length in kSmallRawBits bits.
bool SmallRaw(const BlobLocation& r) {
  const uint64_t shifted = uint64_t{r.raw_length} + kRawBias;
  return shifted >= r.length && shifted - r.length < (uint64_t{1} << kSmallRawBits);
}

// Chooses the encoding of one pack's rows (sorted by offset).
PackFormat ChooseFormat(std::span<const BlobLocation> rows) {
  PackFormat f;
  uint64_t max_off = 0, max_len = 0, max_raw = 0, max_plain_raw = 0, small = 0;
  bool adjacent = true, any_data = false, any_tree = false;
  for (size_t k = 0; k < rows.size(); ++k) {
    const BlobLocation& r = rows[k];
    max_off = std::max<uint64_t>(max_off, r.offset);
    max_len = std::max<uint64_t>(max_len, r.length);
    max_raw = std::max<uint64_t>(max_raw, r.raw_length);
    if (SmallRaw(r)) {
      ++small;
    } else {
      max_plain_raw = std::max<uint64_t>(max_plain_raw, r.raw_length);
    }
    if (k + 1 < rows.size() && uint64_t{r.offset} + r.length != rows[k + 1].offset) adjacent = false;
    (r.type == BlobType::kTree ? any_tree : any_data) = true;
  }
  f.off = Width(max_off);
  f.explicit_len = !adjacent;
  f.len = f.explicit_len ? Width(max_len) : Width(rows.back().length);
  f.type = any_data && any_tree ? kTypePerRow : any_tree ? kTypeTree : kTypeData;
  const uint64_t n = rows.size();
  const uint64_t plain_cost = n * Width(max_raw);
  const uint64_t mixed_cost = n + small * kSmallRawBits + (n - small) * Width(max_plain_raw);
  if (small == n && n * kSmallRawBits <= plain_cost) {
    f.raw_mode = kRawSmall;
  } else if (small > 0 && mixed_cost < plain_cost) {
    f.raw_mode = kRawMixed;
    f.raw = Width(max_plain_raw);
  } else {
    f.raw = Width(max_raw);
  }
  return f;
}

uint32_t LinkBytes(uint64_t entries) { return entries > (uint64_t{1} << 24) ? 4 : 3; }

}  // namespace

IndexTable IndexTable::Build(const Source& source, uint32_t pack_count) {
  Shape shape;
  shape.entries = source.size();
  shape.packs = pack_count;
  const uint32_t n = static_cast<uint32_t>(shape.entries);

  // Rows: the entries grouped by pack (counting sort), then by offset.
  PodArray<uint32_t> first(size_t{pack_count} + 1, 0);
  for (uint32_t i = 0; i < n; ++i) first[source.location(i).pack + 1]++;
  for (uint32_t p = 0; p < pack_count; ++p) first[p + 1] += first[p];
  PodArray<uint32_t> row_entry(n);
  {
    PodArray<uint32_t> cursor(first);
    for (uint32_t i = 0; i < n; ++i) row_entry[cursor[source.location(i).pack]++] = i;
  }
  std::vector<BlobLocation> rows;
  std::vector<std::pair<uint32_t, uint32_t>> order;  // (offset, entry)
  std::vector<uint64_t> meta(size_t{pack_count} + 1, 0);
  uint64_t total_bits = 0;
  for (uint32_t p = 0; p < pack_count; ++p) {
    if (first[p] == first[p + 1]) continue;
    order.clear();
    for (uint32_t r = first[p]; r < first[p + 1]; ++r)
      order.emplace_back(source.location(row_entry[r]).offset, row_entry[r]);
    std::sort(order.begin(), order.end());
    rows.clear();
    uint64_t plain = 0;
    for (size_t k = 0; k < order.size(); ++k) {
      row_entry[first[p] + k] = order[k].second;
      rows.push_back(source.location(order[k].second));
    }
    const PackFormat f = ChooseFormat(rows);
    for (const BlobLocation& r : rows) plain += f.raw_mode == kRawMixed && !SmallRaw(r);
    meta[p] = f.Pack(total_bits);
    total_bits += f.AreaBits(rows.size(), plain);
  }
  meta[pack_count] = total_bits;
  shape.bit_bytes = (total_bits + 7) / 8 + kPadding;

  IndexTable t = Allocate(shape);
  std::copy(meta.begin(), meta.end(), t.meta_bits_.begin());
  std::copy(first.begin(), first.end(), t.first_row_.begin());
  std::fill(t.bits_.begin(), t.bits_.end(), 0);
  uint8_t* bits = t.bits_.data();
  for (uint32_t p = 0; p < pack_count; ++p) {
    const uint64_t count = first[p + 1] - first[p];
    if (count == 0) continue;
    const PackFormat f = PackFormat::Unpack(meta[p]);
    const uint64_t start = meta[p] & kPosMask;
    if (!f.explicit_len) PutBits(bits, start, f.len, source.location(row_entry[first[p + 1] - 1]).length);
    const uint64_t bitmap = start + (f.explicit_len ? 0 : f.len);
    uint64_t fixed = start + f.head_bits(count);
    uint64_t raw_pos = fixed + count * f.fixed_bits();
    for (uint32_t r = first[p]; r < first[p + 1]; ++r) {
      const BlobLocation loc = source.location(row_entry[r]);
      PutBits(bits, fixed, f.off, loc.offset);
      fixed += f.off;
      if (f.explicit_len) {
        PutBits(bits, fixed, f.len, loc.length);
        fixed += f.len;
      }
      if (f.type == kTypePerRow) {
        PutBits(bits, fixed, 1, loc.type == BlobType::kTree ? 1 : 0);
        fixed += 1;
      }
      const bool small = f.raw_mode == kRawSmall || (f.raw_mode == kRawMixed && SmallRaw(loc));
      if (f.raw_mode == kRawMixed) PutBits(bits, bitmap + (r - first[p]), 1, small ? 0 : 1);
      if (small) {
        PutBits(bits, raw_pos, kSmallRawBits, uint64_t{loc.raw_length} + kRawBias - loc.length);
        raw_pos += kSmallRawBits;
      } else {
        PutBits(bits, raw_pos, f.raw, loc.raw_length);
        raw_pos += f.raw;
      }
      if (r % kRowSample == 0) t.rowpack_[r / kRowSample] = p;
    }
  }

  // Ids: bucket starts, fingerprints, and the rest of each id with its row.
  std::fill(t.dir_.begin(), t.dir_.end(), 0);
  std::fill(t.fp_.begin(), t.fp_.end(), 0);
  std::fill(t.rec_.begin(), t.rec_.end(), 0);
  const size_t record = t.RecordSize();
  for (uint32_t i = 0; i < n; ++i) {
    const Id& id = source.id(i);
    t.dir_[Bucket(id) + 1]++;
    t.fp_[i] = Fingerprint(id);
    std::memcpy(t.rec_.data() + i * record, id.bytes.data() + 4, 28);
  }
  for (size_t b = 0; b < kBuckets; ++b) t.dir_[b + 1] += t.dir_[b];
  for (uint32_t r = 0; r < n; ++r) {
    uint8_t* link = t.rec_.data() + size_t{row_entry[r]} * record + 28;
    for (uint32_t k = 0; k < t.link_bytes_; ++k) link[k] = static_cast<uint8_t>(r >> (8 * k));
  }
  return t;
}

absl::Status IndexTable::CheckShape(const Shape& s) {
  if (s.entries > UINT32_MAX - 1 || s.packs > UINT32_MAX - 1 || s.bit_bytes < kPadding ||
      s.bit_bytes > (uint64_t{1} << 37))
    return absl::InvalidArgumentError(absl::StrCat("index table shape out of range: ", s.entries, " entries, ",
                                                   s.packs, " packs, ", s.bit_bytes, " bytes of rows"));
  return absl::OkStatus();
}

std::vector<uint64_t> IndexTable::ArraySizes(const Shape& s) {
  return {(kBuckets + 1) * 4,
          s.entries * 2 + kFpPadding,
          s.entries * (28 + LinkBytes(s.entries)) + kPadding,
          (s.packs + 1) * 8,
          (s.packs + 1) * 4,
          (s.entries + kRowSample - 1) / kRowSample * 4,
          s.bit_bytes};
}

IndexTable IndexTable::Allocate(const Shape& s) {
  IndexTable t;
  t.entries_ = s.entries;
  t.packs_ = static_cast<uint32_t>(s.packs);
  t.link_bytes_ = LinkBytes(s.entries);
  const std::vector<uint64_t> sizes = ArraySizes(s);
  t.dir_ = PodArray<uint32_t>(sizes[0] / 4);
  t.fp_ = PodArray<uint16_t>(sizes[1] / 2);
  t.rec_ = PodArray<uint8_t>(sizes[2]);
  t.meta_bits_ = PodArray<uint64_t>(sizes[3] / 8);
  t.first_row_ = PodArray<uint32_t>(sizes[4] / 4);
  t.rowpack_ = PodArray<uint32_t>(sizes[5] / 4);
  t.bits_ = PodArray<uint8_t>(sizes[6]);
  return t;
}

std::vector<ByteView> IndexTable::Arrays() const {
  auto view = [](const auto& a) {
    return ByteView(reinterpret_cast<const uint8_t*>(a.data()), a.size() * sizeof(a[0]));
  };
  return {view(dir_), view(fp_), view(rec_), view(meta_bits_), view(first_row_), view(rowpack_), view(bits_)};
}

std::vector<MutableByteView> IndexTable::MutableArrays() {
  auto view = [](auto& a) { return MutableByteView(reinterpret_cast<uint8_t*>(a.data()), a.size() * sizeof(a[0])); };
  return {view(dir_), view(fp_), view(rec_), view(meta_bits_), view(first_row_), view(rowpack_), view(bits_)};
}

absl::Status IndexTable::Validate() const {
  auto bad = [](std::string_view what) {
    return absl::DataLossError(absl::StrCat("index table: ", std::string(what)));
  };
  if (!CheckShape(shape()).ok()) return bad("shape");
  const std::vector<uint64_t> sizes = ArraySizes(shape());
  const std::vector<ByteView> arrays = Arrays();
  for (size_t a = 0; a < sizes.size(); ++a)
    if (arrays[a].size() != sizes[a]) return bad("array sizes");
  if (first_row_[0] != 0 || first_row_[packs_] != entries_) return bad("pack row range");
  const uint64_t bit_limit = (bits_.size() - kPadding) * 8;
  if ((meta_bits_[packs_] & kPosMask) > bit_limit) return bad("row bits");
  for (uint32_t p = 0; p < packs_; ++p) {
    if (first_row_[p] > first_row_[p + 1]) return bad("pack rows out of order");
    const uint64_t rows = first_row_[p + 1] - first_row_[p];
    if (rows == 0) continue;
    const PackFormat f = PackFormat::Unpack(meta_bits_[p]);
    if (f.off > 32 || f.len > 32 || f.raw > 32 || f.type == 0 || f.raw_mode > kRawMixed) return bad("pack widths");
    const uint64_t start = meta_bits_[p] & kPosMask;
    if (start + f.head_bits(rows) > bit_limit) return bad("pack rows beyond the row bits");
    const uint64_t plain =
        f.raw_mode == kRawMixed ? CountOnes(bits_.data(), start + (f.explicit_len ? 0 : f.len), rows) : 0;
    if (start + f.AreaBits(rows, plain) > bit_limit) return bad("pack rows beyond the row bits");
  }
  if (dir_[0] != 0 || dir_[kBuckets] != entries_) return bad("bucket range");
  for (size_t b = 0; b < kBuckets; ++b)
    if (dir_[b] > dir_[b + 1]) return bad("buckets out of order");
  for (size_t c = 0; c < rowpack_.size(); ++c) {
    const uint32_t p = rowpack_[c], row = static_cast<uint32_t>(c * kRowSample);
    if (p >= packs_ || first_row_[p] > row || first_row_[p + 1] <= row) return bad("row sample");
  }
  for (size_t i = 0; i < entries_; ++i)
    if (Link(i) >= entries_) return bad("row out of range");
  return absl::OkStatus();
}

size_t IndexTable::MemoryUsage() const {
  return sizeof(*this) + dir_.bytes() + fp_.bytes() + rec_.bytes() + meta_bits_.bytes() + first_row_.bytes() +
         rowpack_.bytes() + bits_.bytes();
}

uint32_t IndexTable::Link(size_t i) const {
  const uint8_t* p = rec_.data() + i * RecordSize() + 28;
  uint32_t v = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16;
  if (link_bytes_ == 4) v |= uint32_t{p[3]} << 24;
  return v;
}

inline size_t IndexTable::LowerBound(uint16_t fp, size_t lo, size_t hi, size_t guess) const {
  const uint16_t* f = fp_.data();
  if (f[guess] < fp) {
    do ++guess;
    while (guess < hi && f[guess] < fp);
  } else {
    while (guess > lo && f[guess - 1] >= fp) --guess;
  }
  return guess;
}

inline size_t IndexTable::Match(const Id& id, size_t pos, size_t hi) const {
  const uint16_t fp = Fingerprint(id);
  const size_t record = RecordSize();
  for (; pos < hi && fp_[pos] == fp; ++pos)
    if (std::memcmp(rec_.data() + pos * record, id.bytes.data() + 4, 28) == 0) return pos;
  return npos;
}

size_t IndexTable::Search(const Id& id, size_t lo, size_t hi, size_t guess) const {
  // The window of fingerprints around the guess holds every entry with the
  // id's fingerprint unless the bucket goes on past a window edge whose
  // fingerprint could still continue that run; then (rarely) search plainly.
  const uint16_t fp = Fingerprint(id);
  const uint16_t* f = fp_.data();
  size_t w = guess > lo + kWindow / 2 ? guess - kWindow / 2 : lo;
  if (hi - lo >= kWindow) w = std::min(w, hi - kWindow);
  const size_t e = std::min(w + kWindow, hi);
  if ((w > lo && f[w] >= fp) || (e < hi && f[e - 1] <= fp)) return Match(id, LowerBound(fp, lo, hi, guess), hi);
  uint64_t mask = EqualMask(f + w, fp);
  if (e - w < kWindow) mask &= (uint64_t{1} << (2 * (e - w))) - 1;
  const size_t record = RecordSize();
  while (mask != 0) {
    const size_t k = static_cast<size_t>(std::countr_zero(mask)) / 2;
    if (std::memcmp(rec_.data() + (w + k) * record, id.bytes.data() + 4, 28) == 0) return w + k;
    mask &= ~(uint64_t{3} << (2 * k));
  }
  return npos;
}

size_t IndexTable::Position(const Id& id) const {
  if (entries_ == 0) return npos;
  const size_t b = Bucket(id);
  const size_t lo = dir_[b], hi = dir_[b + 1];
  if (lo == hi) return npos;
  // Ids are uniform: the fingerprint predicts where in the bucket the id is.
  return Search(id, lo, hi, lo + ((Fingerprint(id) * (hi - lo)) >> 16));
}

void IndexTable::HasMany(std::span<const Id> ids, bool* found) const {
  if (entries_ == 0) {
    std::fill(found, found + ids.size(), false);
    return;
  }
  // Three passes over each group, so that no lookup waits for memory while
  // it alone is in flight: guess and fetch the fingerprints around the
  // guess; find a candidate and fetch its record; compare.
  size_t lo[kGroup], hi[kGroup], pos[kGroup];
  const uint8_t* rec = rec_.data();
  const uint16_t* f = fp_.data();
  const size_t record = RecordSize();
  for (size_t start = 0; start < ids.size(); start += kGroup) {
    const size_t m = std::min(kGroup, ids.size() - start);
    const Id* group = ids.data() + start;
    for (size_t j = 0; j < m; ++j) {
      const size_t b = Bucket(group[j]);
      lo[j] = dir_[b];
      hi[j] = dir_[b + 1];
      pos[j] = lo[j] + ((Fingerprint(group[j]) * (hi[j] - lo[j])) >> 16);
      __builtin_prefetch(f + (pos[j] > kFpReach ? pos[j] - kFpReach : 0));
      __builtin_prefetch(f + pos[j] + kFpReach);
    }
    for (size_t j = 0; j < m; ++j) {
      if (lo[j] == hi[j]) continue;
      // The first entry whose fingerprint matches is the likely candidate.
      const uint16_t fp = Fingerprint(group[j]);
      const size_t near = pos[j];
      size_t w = near > lo[j] + kWindow / 2 ? near - kWindow / 2 : lo[j];
      if (hi[j] - lo[j] >= kWindow) w = std::min(w, hi[j] - kWindow);
      const uint64_t mask = EqualMask(f + w, fp);
      if (mask != 0) __builtin_prefetch(rec + (w + static_cast<size_t>(std::countr_zero(mask)) / 2) * record);
      if (mask != 0) __builtin_prefetch(rec + (w + static_cast<size_t>(std::countr_zero(mask)) / 2) * record + record - 1);
    }
    for (size_t j = 0; j < m; ++j) found[start + j] = lo[j] != hi[j] && Search(group[j], lo[j], hi[j], pos[j]) != npos;
  }
}

std::optional<BlobLocation> IndexTable::Find(const Id& id) const {
  size_t i = Position(id);
  if (i == npos) return std::nullopt;
  return LocationAt(i);
}

void IndexTable::FillId(size_t i, Id& id) const {
  id.bytes[2] = static_cast<uint8_t>(fp_[i] >> 8);
  id.bytes[3] = static_cast<uint8_t>(fp_[i]);
  std::memcpy(id.bytes.data() + 4, rec_.data() + i * RecordSize(), 28);
}

Id IndexTable::IdAt(size_t i) const {
  Id id;
  const size_t b = static_cast<size_t>(
                       std::upper_bound(dir_.begin(), dir_.end(), static_cast<uint32_t>(i)) - dir_.begin()) -
                   1;
  id.bytes[0] = static_cast<uint8_t>(b >> 8);
  id.bytes[1] = static_cast<uint8_t>(b);
  FillId(i, id);
  return id;
}

void IndexTable::ForEach(absl::FunctionRef<void(const Id&, const BlobLocation&)> fn) const {
  if (entries_ == 0) return;
  Id id;
  for (size_t b = 0; b < kBuckets; ++b) {
    id.bytes[0] = static_cast<uint8_t>(b >> 8);
    id.bytes[1] = static_cast<uint8_t>(b);
    for (size_t i = dir_[b]; i < dir_[b + 1]; ++i) {
      FillId(i, id);
      fn(id, LocationAt(i));
    }
  }
}

uint32_t IndexTable::PackOfRow(uint32_t row) const {
  // The pack holding `row` lies between the packs of the samples around it:
  // the last pack in that range whose first row is <= row.
  const size_t c = row / kRowSample;
  uint32_t lo = rowpack_[c];
  uint32_t hi = c + 1 < rowpack_.size() ? rowpack_[c + 1] : packs_ - 1;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo + 1) / 2;
    if (first_row_[mid] <= row) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

BlobLocation IndexTable::LocationAt(size_t i) const {
  const uint32_t row = Link(i);
  const uint32_t p = PackOfRow(row);
  const uint64_t meta = meta_bits_[p];
  const PackFormat f = PackFormat::Unpack(meta);
  const uint8_t* bits = bits_.data();
  const uint64_t rows = first_row_[p + 1] - first_row_[p];
  const uint64_t k = row - first_row_[p];  // the row's place in its pack
  const uint64_t start = meta & kPosMask;
  const uint64_t bitmap = start + (f.explicit_len ? 0 : f.len);
  const uint64_t fixed_start = start + f.head_bits(rows);
  const uint32_t fixed_bits = f.fixed_bits();
  uint64_t pos = fixed_start + k * fixed_bits;
  BlobLocation loc;
  loc.pack = p;
  loc.offset = static_cast<uint32_t>(GetBits(bits, pos, f.off));
  pos += f.off;
  if (f.explicit_len) {
    loc.length = static_cast<uint32_t>(GetBits(bits, pos, f.len));
    pos += f.len;
  } else if (k + 1 < rows) {
    loc.length = static_cast<uint32_t>(GetBits(bits, pos - f.off + fixed_bits, f.off)) - loc.offset;
  } else {
    loc.length = static_cast<uint32_t>(GetBits(bits, start, f.len));
  }
  loc.type = static_cast<BlobType>(f.type == kTypePerRow ? 1 + GetBits(bits, pos, 1) : f.type);

  const uint64_t raw_start = fixed_start + rows * fixed_bits;
  bool small = f.raw_mode == kRawSmall;
  uint64_t raw_pos = raw_start + k * (small ? kSmallRawBits : f.raw);
  if (f.raw_mode == kRawMixed) {
    const uint64_t plain_before = CountOnes(bits, bitmap, k);
    small = GetBits(bits, bitmap + k, 1) == 0;
    raw_pos = raw_start + (k - plain_before) * kSmallRawBits + plain_before * f.raw;
  }
  loc.raw_length = small ? static_cast<uint32_t>(GetBits(bits, raw_pos, kSmallRawBits) + loc.length - kRawBias)
                         : static_cast<uint32_t>(GetBits(bits, raw_pos, f.raw));
  return loc;
}

}  // namespace coffer
