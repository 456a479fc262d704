// RFC 3986 percent-encoding, the one every REST store here needs (S3 SigV4,
// Azure, GCS, coffer-server): every byte except the unreserved characters
// A-Z a-z 0-9 - . _ ~ becomes %XY with upper-case hex, byte by byte (so
// UTF-8 is encoded per byte). With keep_slash, '/' stays as it is, for
// paths whose segments are separated by it.
#pragma once

#include <string>
#include <string_view>

namespace coffer {

std::string PercentEncode(std::string_view s, bool keep_slash = false);

}  // namespace coffer
