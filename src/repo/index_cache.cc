#include "repo/index_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/atomic_file.h"
#include "base/status_macros.h"
#include "crypto/aes_gcm.h"
#include "hash/keyed_hash.h"

namespace coffer {
namespace {

constexpr uint8_t kMagic[4] = {'C', 'F', 'I', 'C'};
constexpr uint32_t kVersion = 1;
constexpr size_t kFixedHeader = 4 + 4 + 32 + 32 + 8;  // magic, version, repo id, salt, object count
constexpr size_t kMetaPlain = 48;
constexpr size_t kMetaSize = kMetaPlain + kAesGcmTagSize;
constexpr uint32_t kByteOrderMark = 0x01020304;  // written natively: the arrays are native too
constexpr uint64_t kSegment = uint64_t{16} << 20;  // bytes encrypted under one nonce
constexpr std::string_view kContext = "coffer/v1/index-cache";
constexpr size_t kMaxReadThreads = 4;

uint64_t GetLE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}
void PutLE64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// The file's own key: a fresh salt per file makes counter nonces safe.
Key32 DeriveKey(const Key32& index_key, ByteView salt) {
  Bytes input = ToBytes(kContext);
  input.insert(input.end(), salt.begin(), salt.end());
  Id derived = KeyedHasher(index_key.view()).Hash(input);
  return Key32::FromBytes(derived.bytes);
}

void Nonce(uint64_t counter, uint8_t (&nonce)[kAesGcmNonceSize]) {
  std::memset(nonce, 0, sizeof(nonce));
  PutLE64(nonce, counter);
}

Bytes Aad(const Id& header_hash) {
  Bytes aad = ToBytes(kContext);
  aad.insert(aad.end(), header_hash.bytes.begin(), header_hash.bytes.end());
  return aad;
}

uint64_t Segments(uint64_t bytes) { return (bytes + kSegment - 1) / kSegment; }

uint64_t FileSize(uint64_t objects, const std::vector<uint64_t>& arrays) {
  uint64_t size = kFixedHeader + 32 * objects + kMetaSize;
  for (uint64_t a : arrays) size += a + Segments(a) * kAesGcmTagSize;
  return size;
}

std::vector<uint64_t> AllArraySizes(const IndexTable::Shape& shape) {
  std::vector<uint64_t> sizes = IndexTable::ArraySizes(shape);
  sizes.push_back(shape.packs * sizeof(Id));
  return sizes;
}

bool ReadAt(int fd, uint8_t* out, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t got = pread(fd, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

absl::Status Damaged(const std::filesystem::path& file, std::string_view what) {
  return absl::DataLossError(absl::StrCat("index cache ", file.string(), ": ", std::string(what)));
}

}  // namespace

std::filesystem::path IndexCachePath(const std::filesystem::path& cache_dir, const Id& repo_id) {
  return cache_dir / repo_id.Hex() / "index";
}

IndexCacheFile::~IndexCacheFile() {
  if (fd_ >= 0) close(fd_);
}

IndexCacheFile::IndexCacheFile(IndexCacheFile&& other) noexcept { *this = std::move(other); }

IndexCacheFile& IndexCacheFile::operator=(IndexCacheFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    key_ = other.key_;
    header_hash_ = other.header_hash_;
    shape_ = other.shape_;
    body_offset_ = other.body_offset_;
    objects_ = std::move(other.objects_);
  }
  return *this;
}

absl::StatusOr<IndexCacheFile> IndexCacheFile::Open(const std::filesystem::path& file, const Id& repo_id,
                                                    const Key32& index_key) {
  IndexCacheFile cache;
  cache.fd_ = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (cache.fd_ < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no index cache at ", file.string()));
    return absl::UnavailableError(absl::StrCat("cannot open index cache ", file.string(), ": ", strerror(errno)));
  }
  struct stat st;
  if (fstat(cache.fd_, &st) != 0) return Damaged(file, "cannot stat");
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  Bytes header(kFixedHeader);
  if (size < kFixedHeader + kMetaSize || !ReadAt(cache.fd_, header.data(), kFixedHeader, 0))
    return Damaged(file, "truncated");
  if (!std::equal(std::begin(kMagic), std::end(kMagic), header.begin())) return Damaged(file, "bad magic");
  uint32_t version = header[4] | header[5] << 8 | header[6] << 16 | uint32_t{header[7]} << 24;
  if (version != kVersion) return Damaged(file, absl::StrCat("unsupported version ", version));
  if (!std::equal(repo_id.bytes.begin(), repo_id.bytes.end(), header.begin() + 8))
    return Damaged(file, "written for another repository");
  const uint64_t objects = GetLE64(header.data() + 72);
  if (objects > (size - kFixedHeader - kMetaSize) / 32) return Damaged(file, "object count");
  header.resize(kFixedHeader + objects * 32);
  if (!ReadAt(cache.fd_, header.data() + kFixedHeader, objects * 32, kFixedHeader))
    return Damaged(file, "truncated object list");
  cache.header_hash_ = Sha256(header);
  cache.key_ = DeriveKey(index_key, ByteView(header.data() + 40, 32));

  uint8_t meta[kMetaSize];
  const uint64_t meta_offset = header.size();
  if (!ReadAt(cache.fd_, meta, kMetaSize, meta_offset)) return Damaged(file, "truncated");
  uint8_t nonce[kAesGcmNonceSize], tag[kAesGcmTagSize];
  Nonce(0, nonce);
  std::memcpy(tag, meta + kMetaPlain, kAesGcmTagSize);
  if (!AesGcmDecryptInPlace(cache.key_, nonce, Aad(cache.header_hash_), MutableByteView(meta, kMetaPlain), tag).ok())
    return Damaged(file, "authentication failed (damaged, or written under another key)");

  // Authenticated from here on: the rest are our own numbers.
  uint32_t mark;
  std::memcpy(&mark, meta, 4);
  if (mark != kByteOrderMark) return Damaged(file, "written on a machine of another byte order");
  cache.shape_ = IndexTable::Shape{GetLE64(meta + 8), GetLE64(meta + 16), GetLE64(meta + 24)};
  if (!IndexTable::CheckShape(cache.shape_).ok() || GetLE64(meta + 40) != kSegment)
    return Damaged(file, "bad table shape");
  if (GetLE64(meta + 32) != size || FileSize(objects, AllArraySizes(cache.shape_)) != size)
    return Damaged(file, "size does not match its contents");
  cache.objects_.resize(objects);
  for (uint64_t i = 0; i < objects; ++i) {
    std::memcpy(cache.objects_[i].bytes.data(), header.data() + kFixedHeader + i * 32, 32);
    if (i > 0 && !(cache.objects_[i - 1] < cache.objects_[i])) return Damaged(file, "object list out of order");
  }
  cache.body_offset_ = meta_offset + kMetaSize;
  return cache;
}

absl::StatusOr<Index> IndexCacheFile::ReadIndex() {
  IndexTable table = IndexTable::Allocate(shape_);
  std::vector<Id> packs(shape_.packs);
  std::vector<MutableByteView> arrays = table.MutableArrays();
  arrays.emplace_back(reinterpret_cast<uint8_t*>(packs.data()), packs.size() * sizeof(Id));
  // Every segment is read and decrypted in place, on a few threads: reading
  // and AES-GCM are about equal shares of opening a warm cache.
  struct Segment {
    MutableByteView data;
    uint64_t offset;
    uint64_t counter;
  };
  std::vector<Segment> segments;
  uint64_t offset = body_offset_, counter = 1;
  for (MutableByteView array : arrays) {
    for (uint64_t start = 0; start < array.size(); start += kSegment, ++counter) {
      MutableByteView data = array.subspan(start, std::min<uint64_t>(kSegment, array.size() - start));
      segments.push_back({data, offset, counter});
      offset += data.size() + kAesGcmTagSize;
    }
  }
  const Bytes aad = Aad(header_hash_);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    uint8_t nonce[kAesGcmNonceSize], tag[kAesGcmTagSize];
    for (size_t i; !failed && (i = next++) < segments.size();) {
      const Segment& s = segments[i];
      Nonce(s.counter, nonce);
      if (!ReadAt(fd_, s.data.data(), s.data.size(), s.offset) ||
          !ReadAt(fd_, tag, sizeof(tag), s.offset + s.data.size()) ||
          !AesGcmDecryptInPlace(key_, nonce, aad, s.data, tag).ok())
        failed = true;
    }
  };
  std::vector<std::thread> helpers;
  const size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxReadThreads);
  for (size_t t = 1; t < std::min(threads, segments.size()); ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads, same result
    }
  }
  work();
  for (std::thread& t : helpers) t.join();
  if (failed) return absl::DataLossError("index cache: damaged or truncated (authentication failed)");
  absl::Status valid = table.Validate();
  if (!valid.ok()) return valid;
  return Index::FromTable(std::move(table), std::move(packs));
}

absl::Status WriteIndexCache(const std::filesystem::path& file, const Id& repo_id, const Key32& index_key,
                             const std::vector<Id>& objects, const Index& index) {
  if (!index.compact()) return absl::FailedPreconditionError("index cache: the index is not compact");
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", file.parent_path().string(), ": ", ec.message()));
  // The index says which blobs a repository holds: keep it to the user.
  std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);

  Bytes header(kFixedHeader);
  std::memcpy(header.data(), kMagic, 4);
  for (int i = 0; i < 4; ++i) header[4 + i] = static_cast<uint8_t>(kVersion >> (8 * i));
  std::memcpy(header.data() + 8, repo_id.bytes.data(), 32);
  RandomFill(MutableByteView(header.data() + 40, 32));
  PutLE64(header.data() + 72, objects.size());
  for (const Id& id : objects) header.insert(header.end(), id.bytes.begin(), id.bytes.end());
  const Id header_hash = Sha256(header);
  const Key32 key = DeriveKey(index_key, ByteView(header.data() + 40, 32));
  const Bytes aad = Aad(header_hash);

  const IndexTable& table = index.table();
  const IndexTable::Shape shape = table.shape();
  std::vector<ByteView> arrays = table.Arrays();
  arrays.emplace_back(reinterpret_cast<const uint8_t*>(index.packs().data()), index.packs().size() * sizeof(Id));
  std::vector<uint64_t> sizes;
  for (ByteView a : arrays) sizes.push_back(a.size());
  if (sizes != AllArraySizes(shape)) return absl::FailedPreconditionError("index cache: the index has no table");

  uint8_t meta[kMetaSize] = {};
  std::memcpy(meta, &kByteOrderMark, 4);
  PutLE64(meta + 8, shape.entries);
  PutLE64(meta + 16, shape.packs);
  PutLE64(meta + 24, shape.bit_bytes);
  PutLE64(meta + 32, FileSize(objects.size(), sizes));
  PutLE64(meta + 40, kSegment);
  uint8_t nonce[kAesGcmNonceSize], tag[kAesGcmTagSize];
  Nonce(0, nonce);
  AesGcmEncrypt(key, nonce, aad, ByteView(meta, kMetaPlain), meta, tag);
  std::memcpy(meta + kMetaPlain, tag, kAesGcmTagSize);

  COFFER_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(file, "index cache"));
  COFFER_RETURN_IF_ERROR(out.Append(header));
  COFFER_RETURN_IF_ERROR(out.Append(ByteView(meta, kMetaSize)));
  Bytes scratch;
  uint64_t counter = 1;
  for (ByteView array : arrays) {
    for (uint64_t start = 0; start < array.size(); start += kSegment, ++counter) {
      ByteView segment = array.subspan(start, std::min<uint64_t>(kSegment, array.size() - start));
      scratch.resize(segment.size());
      Nonce(counter, nonce);
      AesGcmEncrypt(key, nonce, aad, segment, scratch.data(), tag);
      COFFER_RETURN_IF_ERROR(out.Append(scratch));
      COFFER_RETURN_IF_ERROR(out.Append(ByteView(tag, sizeof(tag))));
    }
  }
  return out.Commit();
}

}  // namespace coffer
