#include <catch2/catch.hpp>

#include <algorithm>

#include "crypto/secret.h"

using namespace coffer;

TEST_CASE("keys compare by value") {
  Bytes raw(32, 9);
  Key32 a = Key32::FromBytes(raw);
  Key32 b = Key32::FromBytes(raw);
  CHECK(a == b);
  raw[31] ^= 1;
  CHECK_FALSE(a == Key32::FromBytes(raw));
  CHECK(Bytes(a.view().begin(), a.view().end()) == Bytes(32, 9));
  Key32 copy = a;
  CHECK(copy == a);
}

TEST_CASE("random keys and bytes are fresh every time") {
  Key32 a = Key32::Random();
  Key32 b = Key32::Random();
  CHECK_FALSE(a == b);
  CHECK_FALSE(a == Key32());

  Bytes r = RandomBytes(64);
  CHECK(r.size() == 64);
  CHECK(r != RandomBytes(64));
  CHECK(RandomBytes(0).empty());

  Bytes buf(100, 0);
  RandomFill(MutableByteView(buf).subspan(10, 80));
  CHECK(std::all_of(buf.begin(), buf.begin() + 10, [](uint8_t v) { return v == 0; }));
  CHECK(std::all_of(buf.end() - 10, buf.end(), [](uint8_t v) { return v == 0; }));
  CHECK(std::count(buf.begin() + 10, buf.end() - 10, 0) < 10);
}
