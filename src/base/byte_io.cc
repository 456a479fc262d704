#include "base/byte_io.h"

namespace coffer {

void ByteWriter::U32(uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void ByteWriter::U64(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void ByteWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<uint8_t>(v));
}
void ByteWriter::String(std::string_view s) {
  Varint(s.size());
  Raw(AsBytes(s));
}

std::optional<uint8_t> ByteReader::U8() {
  if (remaining() < 1) return std::nullopt;
  return in_[pos_++];
}
std::optional<uint32_t> ByteReader::U32() {
  if (remaining() < 4) return std::nullopt;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{in_[pos_ + i]} << (8 * i);
  pos_ += 4;
  return v;
}
std::optional<uint64_t> ByteReader::U64() {
  if (remaining() < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{in_[pos_ + i]} << (8 * i);
  pos_ += 8;
  return v;
}
std::optional<uint64_t> ByteReader::Varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    auto b = U8();
    if (!b) return std::nullopt;
    v |= uint64_t{*b & 0x7fu} << shift;
    if (!(*b & 0x80)) return v;
  }
  return std::nullopt;  // more than 10 bytes: malformed
}
std::optional<ByteView> ByteReader::Raw(size_t n) {
  if (remaining() < n) return std::nullopt;
  ByteView v = in_.subspan(pos_, n);
  pos_ += n;
  return v;
}
std::optional<Id> ByteReader::GetId() {
  auto raw = Raw(Id::kSize);
  if (!raw) return std::nullopt;
  return Id::FromBytes(*raw);
}
std::optional<std::string> ByteReader::String(size_t max_len) {
  auto len = Varint();
  if (!len || *len > max_len) return std::nullopt;
  auto raw = Raw(*len);
  if (!raw) return std::nullopt;
  return ToString(*raw);
}

}  // namespace coffer
