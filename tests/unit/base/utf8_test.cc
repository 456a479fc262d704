#include "base/utf8.h"

#include <catch2/catch.hpp>
#include <string>

using coffer::IsValidUtf8;

TEST_CASE("UTF-8 validation accepts well-formed text and refuses the rest") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii \x7f"));
  CHECK(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));   // 2, 3 and 4 bytes
  CHECK(IsValidUtf8("\xf4\x8f\xbf\xbf"));                            // U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xff"));                                  // never valid
  CHECK_FALSE(IsValidUtf8("\xc3"));                                  // truncated
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));                              // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xe0\x80\xaf"));                          // overlong, 3 bytes
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));                          // surrogate U+D800
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));                      // above U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));                              // truncated in the middle
  CHECK_FALSE(IsValidUtf8("a\xe2\x28\xa1"));                         // bad continuation byte
}
