// Little-endian binary writer and bounds-checked reader for the on-store
// formats. The reader never reads past its input: every accessor fails
// instead, so hostile objects cannot cause out-of-bounds reads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/id.h"

namespace coffer {

class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void Varint(uint64_t v);
  void Raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void PutId(const Id& id) { Raw(id.bytes); }
  void String(std::string_view s);  // varint length + bytes
  Bytes& bytes() { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

class ByteReader {
 public:
  explicit ByteReader(ByteView in) : in_(in) {}
  std::optional<uint8_t> U8();
  std::optional<uint32_t> U32();
  std::optional<uint64_t> U64();
  std::optional<uint64_t> Varint();
  std::optional<ByteView> Raw(size_t n);
  std::optional<Id> GetId();
  std::optional<std::string> String(size_t max_len);
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

 private:
  ByteView in_;
  size_t pos_ = 0;
};

}  // namespace coffer
