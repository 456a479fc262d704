#include <catch2/catch.hpp>

#include "base/byte_io.h"
#include "base/hex.h"
#include "base/id.h"

using namespace coffer;

TEST_CASE("byte writer and reader round-trip every field type") {
  ByteWriter w;
  w.U8(7);
  w.U32(0xdeadbeef);
  w.U64(0x0123456789abcdefull);
  w.Varint(300);
  w.String("héllo");
  Id id = *Id::FromHex(std::string(64, 'a'));
  w.PutId(id);
  Bytes data = w.Take();

  ByteReader r(data);
  CHECK(*r.U8() == 7);
  CHECK(*r.U32() == 0xdeadbeef);
  CHECK(*r.U64() == 0x0123456789abcdefull);
  CHECK(*r.Varint() == 300);
  CHECK(*r.String(100) == "héllo");
  CHECK(*r.GetId() == id);
  CHECK(r.remaining() == 0);
  CHECK_FALSE(r.U8().has_value());
}

TEST_CASE("byte reader refuses to read past its input") {
  Bytes data = {0xff, 0xff};
  ByteReader r(data);
  CHECK_FALSE(r.U32().has_value());
  CHECK_FALSE(r.Varint().has_value());
  ByteReader r2(data);
  CHECK_FALSE(r2.String(1).has_value());
}

TEST_CASE("hex decoding rejects odd lengths and non-hex digits") {
  CHECK(HexEncode(*HexDecode("00ff10")) == "00ff10");
  CHECK_FALSE(HexDecode("abc").has_value());
  CHECK_FALSE(HexDecode("zz").has_value());
  CHECK_FALSE(Id::FromHex("abcd").has_value());
}
