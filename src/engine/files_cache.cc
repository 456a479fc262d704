#include "engine/files_cache.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "base/atomic_file.h"
#include "base/byte_io.h"
#include "base/status_macros.h"

namespace coffer {
namespace {
constexpr uint8_t kMagic[4] = {'C', 'F', 'F', 'C'};
// Version 2 added a flags byte per entry (bit 0: no extended attributes);
// version 1 files still load, with the flag unknown (clear).
constexpr uint32_t kVersion = 2;
constexpr uint8_t kFlagNoXattrs = 1;
constexpr size_t kMaxPathLength = 1 << 16;
}  // namespace

FilesCache FilesCache::Load(const std::filesystem::path& file) {
  FilesCache empty;
  empty.file_ = file;
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return empty;
  // Read in one piece, straight into place (no stream-buffer copy: the
  // cache of a large tree is tens of megabytes). Parsed where it will stay:
  // entries point into it.
  FilesCache cache;
  cache.file_ = file;
  std::string& data = cache.data_;
  data.resize(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)));
  in.seekg(0);
  if (!in.read(data.data(), static_cast<std::streamsize>(data.size()))) return empty;
  ByteReader r(AsBytes(data));
  auto magic = r.Raw(4);
  auto version = r.U32();
  if (!magic || !std::equal(magic->begin(), magic->end(), std::begin(kMagic)) || (version != 1 && version != kVersion))
    return empty;
  auto count = r.Varint();
  if (!count || *count > r.remaining()) return empty;
  absl::flat_hash_map<std::string_view, Entry> entries;
  entries.reserve(*count);
  bool aged = false;
  for (uint64_t i = 0; i < *count; ++i) {
    auto path_length = r.Varint();
    if (!path_length || *path_length > kMaxPathLength) return empty;
    auto path = r.Raw(*path_length);
    auto size = r.U64();
    auto mtime = r.U64(), ctime = r.U64(), inode = r.U64();
    auto age = r.U32();
    std::optional<uint8_t> flags = uint8_t{0};
    if (*version >= 2) flags = r.U8();
    auto parts = r.Varint();
    if (!path || !size || !mtime || !ctime || !inode || !age || !flags || !parts || *parts > r.remaining())
      return empty;
    Entry e;
    e.no_xattrs = (*flags & kFlagNoXattrs) != 0;
    e.fp = {*size, static_cast<int64_t>(*mtime), static_cast<int64_t>(*ctime), *inode};
    e.age = *age;
    aged |= e.age != 0;
    // Step over the parts, checking they are well formed, and keep a view.
    size_t parts_start = r.position();
    for (uint64_t p = 0; p < *parts; ++p) {
      auto hole = r.Varint();
      if (!hole) return empty;
      if (*hole == 0 && !r.GetId()) return empty;
    }
    e.loaded = AsBytes(data).subspan(parts_start, r.position() - parts_start);
    e.loaded_parts = static_cast<uint32_t>(*parts);
    entries.emplace(AsChars(*path), e);
  }
  cache.entries_ = std::move(entries);
  cache.loaded_aged_ = aged;
  return cache;
}

bool FilesCache::DecodeParts(ByteView encoded, uint32_t count, std::vector<ContentPart>* out) {
  ByteReader r(encoded);
  out->clear();
  out->reserve(count);
  for (uint32_t p = 0; p < count; ++p) {
    auto hole = r.Varint();
    if (!hole) return false;
    ContentPart part;
    part.hole = *hole;
    if (*hole == 0) {
      auto id = r.GetId();
      if (!id) return false;
      part.blob = *id;
    }
    out->push_back(part);
  }
  return true;
}

bool FilesCache::SameParts(const Entry& e, const std::vector<ContentPart>& content) {
  auto same = [](const ContentPart& a, const ContentPart& b) {
    return a.hole == b.hole && (a.is_hole() || a.blob == b.blob);
  };
  if (e.loaded_parts == 0)
    return std::equal(e.content.begin(), e.content.end(), content.begin(), content.end(), same);
  if (e.loaded_parts != content.size()) return false;
  ByteReader r(e.loaded);
  for (const ContentPart& want : content) {
    auto hole = r.Varint();
    if (!hole || *hole != want.hole) return false;
    if (*hole == 0) {
      auto id = r.GetId();
      if (!id || *id != want.blob) return false;
    }
  }
  return true;
}

FilesCache::Lookup FilesCache::Find(const std::string& path, const FileFingerprint& fp,
                                    std::vector<ContentPart>* content, bool* no_xattrs, Found* found) {
  auto it = entries_.find(std::string_view(path));
  if (it == entries_.end()) return Lookup::kNew;
  Entry& e = it->second;
  if (!(e.fp == fp)) return Lookup::kChanged;
  if (e.loaded_parts != 0) {
    if (!DecodeParts(e.loaded, e.loaded_parts, content)) return Lookup::kChanged;
  } else {
    *content = e.content;
  }
  if (no_xattrs) *no_xattrs = e.no_xattrs;
  if (found) found->entry = &e;
  return Lookup::kUnchanged;
}

void FilesCache::MarkSeen(Found found) {
  if (found.entry) found.entry->seen = true;
}

void FilesCache::Record(const std::string& path, const FileFingerprint& fp, const std::vector<ContentPart>& content,
                        bool no_xattrs) {
  auto it = entries_.find(std::string_view(path));
  if (it != entries_.end() && it->second.fp == fp && it->second.no_xattrs == no_xattrs &&
      SameParts(it->second, content)) {
    it->second.seen = true;  // seen again, as it was
    return;
  }
  changed_ = true;
  if (it == entries_.end()) {
    added_keys_.push_back(path);
    it = entries_.emplace(std::string_view(added_keys_.back()), Entry{}).first;
  }
  Entry& e = it->second;
  e.no_xattrs = no_xattrs;
  e.fp = fp;
  e.loaded = {};
  e.loaded_parts = 0;
  e.content = content;  // copied only when the entry is new or changed
  e.age = 0;
  e.seen = true;
}

bool FilesCache::NeedsSave() const {
  if (changed_ || loaded_aged_) return true;
  for (const auto& [path, e] : entries_)
    if (!e.seen) return true;
  return false;
}

absl::Status FilesCache::Save() const {
  if (!NeedsSave()) return absl::OkStatus();
  COFFER_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(file_, "files cache"));
  // Written out a megabyte at a time: the whole file in memory would sit on
  // top of everything else at the end of a backup, its peak.
  ByteWriter w;
  auto flush = [&] {
    absl::Status s = out.Append(w.bytes());
    w.bytes().clear();
    return s;
  };
  constexpr size_t kFlushAt = 1 << 20;
  w.Raw(kMagic);
  w.U32(kVersion);
  size_t kept = 0;
  for (const auto& [path, e] : entries_)
    if (e.seen || e.age + 1 < kMaxAge) ++kept;
  w.Varint(kept);
  for (const auto& [path, e] : entries_) {
    if (!(e.seen || e.age + 1 < kMaxAge)) continue;
    w.String(path);
    w.U64(e.fp.size);
    w.U64(static_cast<uint64_t>(e.fp.mtime_ns));
    w.U64(static_cast<uint64_t>(e.fp.ctime_ns));
    w.U64(e.fp.inode);
    w.U32(e.seen ? 0 : e.age + 1);
    w.U8(e.no_xattrs ? kFlagNoXattrs : 0);
    if (e.loaded_parts != 0) {
      w.Varint(e.loaded_parts);
      w.Raw(e.loaded);  // already in this encoding
    } else {
      w.Varint(e.content.size());
      for (const ContentPart& p : e.content) {
        w.Varint(p.hole);
        if (!p.is_hole()) w.PutId(p.blob);
      }
    }
    if (w.bytes().size() >= kFlushAt) COFFER_RETURN_IF_ERROR(flush());
  }
  COFFER_RETURN_IF_ERROR(flush());
  return out.Commit();
}

}  // namespace coffer
