#include <catch2/catch.hpp>
#include <string>

#include "store/checksums.h"

namespace coffer {
namespace {

ByteView Text(const std::string& s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

TEST_CASE("Content-MD5 matches RFC 1321's test suite") {
  CHECK(Md5Base64(Text("")) == "1B2M2Y8AsgTpgAmY7PhCfg==");  // d41d8cd98f00b204e9800998ecf8427e
  CHECK(Md5Base64(Text("abc")) == "kAFQmDzST7DWlj99KOF/cg==");  // 900150983cd24fb0d6963f7d28e17f72
}

TEST_CASE("CRC-32C matches RFC 3720 and the GCS documentation") {
  CHECK(Crc32c(Text("123456789")) == 0xE3069283u);  // the standard check value
  std::string zeros(32, '\0'), ones(32, '\xff');
  CHECK(Crc32c(Text(zeros)) == 0x8A9136AAu);  // RFC 3720 B.4
  CHECK(Crc32c(Text(ones)) == 0x62A8AB43u);
  // Continuing a CRC over a split gives the CRC of the whole.
  CHECK(Crc32c(Text("56789"), Crc32c(Text("1234"))) == 0xE3069283u);
  // What the firebase-tools storage emulator reported for an upload of "hello".
  CHECK(Crc32cBase64(Text("hello")) == "mnG7TA==");
}

}  // namespace
}  // namespace coffer
