#include "store/percent_encoding.h"

#include <catch2/catch.hpp>

using namespace coffer;

TEST_CASE("percent-encoding keeps exactly the RFC 3986 unreserved characters") {
  CHECK(PercentEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(PercentEncode("a b+c=d&e") == "a%20b%2Bc%3Dd%26e");
  CHECK(PercentEncode("100%") == "100%25");
  CHECK(PercentEncode("data/ab/cd") == "data%2Fab%2Fcd");
  CHECK(PercentEncode("data/ab/cd", /*keep_slash=*/true) == "data/ab/cd");
  CHECK(PercentEncode("caf\xc3\xa9") == "caf%C3%A9");  // UTF-8, byte by byte, upper-case hex
  CHECK(PercentEncode(std::string_view("\x00\xff", 2)) == "%00%FF");
  CHECK(PercentEncode("").empty());
  // Every byte: unreserved ones stay, all others take three characters.
  for (int b = 0; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    bool unreserved = std::isalnum(b) || b == '-' || b == '.' || b == '_' || b == '~';
    CHECK(PercentEncode(one).size() == (unreserved ? 1u : 3u));
  }
}
