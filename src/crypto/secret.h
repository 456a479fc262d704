// Fixed-size secret key material that is wiped when it goes away.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace coffer {

class Key32 {
 public:
  static constexpr size_t kSize = 32;
  Key32() = default;
  ~Key32();
  Key32(const Key32& other) = default;
  Key32& operator=(const Key32& other) = default;

  static Key32 FromBytes(ByteView b);  // REQUIRES: b.size() == kSize
  static Key32 Random();

  ByteView view() const { return bytes_; }
  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  bool operator==(const Key32& o) const;  // constant time

 private:
  std::array<uint8_t, kSize> bytes_{};
};

// Fills `out` with cryptographically secure random bytes.
void RandomFill(MutableByteView out);
Bytes RandomBytes(size_t n);

}  // namespace coffer
