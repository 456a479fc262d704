#include "store/checksums.h"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "base/base64.h"

namespace coffer {
namespace {

// Table for the byte-at-a-time CRC: entry i is the CRC of byte i alone.
constexpr std::array<uint32_t, 256> MakeCrc32cTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0);
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32cTable = MakeCrc32cTable();

}  // namespace

std::string Md5Base64(ByteView data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // MD5 here is an integrity check the protocols demand, not a security
  // measure; EVP_Digest with the default provider has it.
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr) != 1)
    throw std::runtime_error("OpenSSL could not compute MD5");
  return Base64Encode(ByteView(digest, length));
}

uint32_t Crc32c(ByteView data, uint32_t crc) {
  crc = ~crc;
  for (uint8_t byte : data) crc = kCrc32cTable[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string Crc32cBase64(ByteView data) {
  uint32_t crc = Crc32c(data);
  const uint8_t big_endian[4] = {uint8_t(crc >> 24), uint8_t(crc >> 16), uint8_t(crc >> 8),
                                 uint8_t(crc)};
  return Base64Encode(ByteView(big_endian, 4));
}

}  // namespace coffer
