#include "store/azure_protocol.h"

#include <charconv>
#include <pugixml.hpp>
#include <string>

#include "absl/strings/ascii.h"
#include "base/base64.h"
#include "store/percent_encoding.h"
#include "store/store_errors.h"

namespace coffer {
namespace {


std::optional<int> HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

std::optional<uint64_t> ParseUint(std::string_view s) {
  uint64_t value = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

absl::Status BadListing(std::string_view what) {
  return absl::InvalidArgumentError(StoreCat("List Blobs answer is not valid: ", what));
}

}  // namespace

std::string AzurePercentEncode(std::string_view s, bool keep_slash) { return PercentEncode(s, keep_slash); }

std::optional<std::string> AzurePercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    std::optional<int> hi = i + 1 < s.size() ? HexValue(s[i + 1]) : std::nullopt;
    std::optional<int> lo = i + 2 < s.size() ? HexValue(s[i + 2]) : std::nullopt;
    if (!hi || !lo) return std::nullopt;
    out += static_cast<char>(*hi * 16 + *lo);
    i += 2;
  }
  return out;
}

absl::Status CheckAzureBlobName(std::string_view name) {
  if (name.find('\\') != std::string_view::npos)
    return absl::InvalidArgumentError(
        "Azure Blob Storage turns '\\' into '/' in blob names, so such a name is not allowed");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (end > start && name[end - 1] == '.')
      return absl::InvalidArgumentError(
          "Azure Blob Storage drops trailing dots of a name's path segments, so a segment may "
          "not end in '.'");
    start = end + 1;
  }
  if (name.size() > kAzureMaxBlobNameBytes)
    return absl::InvalidArgumentError(StoreCat("Azure blob names are at most ",
                                               kAzureMaxBlobNameBytes, " bytes; this one has ",
                                               name.size()));
  return absl::OkStatus();
}

absl::Status CheckAzureContainerName(std::string_view name) {
  auto bad = [&](std::string_view rule) {
    return absl::InvalidArgumentError(
        StoreCat("container name \"", name, "\" is not valid: ", rule,
                 " (Azure container names are 3-63 characters of lower-case letters, digits "
                 "and single hyphens, starting and ending with a letter or digit)"));
  };
  if (name.size() < 3 || name.size() > 63) return bad("it must be 3-63 characters long");
  for (char c : name)
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-'))
      return bad("only lower-case letters, digits and '-' are allowed");
  if (name.front() == '-' || name.back() == '-')
    return bad("it must start and end with a letter or digit");
  if (name.find("--") != std::string_view::npos) return bad("'--' is not allowed");
  return absl::OkStatus();
}

absl::StatusOr<AzureListPage> ParseAzureListBlobs(ByteView body) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  if (!parsed)
    return BadListing(StoreCat("not XML (", parsed.description(), " at byte ", parsed.offset, ")"));
  pugi::xml_node root = doc.child("EnumerationResults");
  if (!root) return BadListing("no EnumerationResults element");
  AzureListPage page;
  for (pugi::xml_node blob : root.child("Blobs").children("Blob")) {
    pugi::xml_node name_node = blob.child("Name");
    if (!name_node) return BadListing("a Blob without a Name");
    std::string name = name_node.text().get();
    // Names holding characters XML cannot carry come percent-encoded.
    if (std::string_view(name_node.attribute("Encoded").value()) == "true") {
      std::optional<std::string> decoded = AzurePercentDecode(name);
      if (!decoded) return BadListing("an encoded Name with a bad %-escape");
      name = *std::move(decoded);
    }
    if (name.empty()) return BadListing("a Blob with an empty Name");
    std::optional<uint64_t> size =
        ParseUint(blob.child("Properties").child("Content-Length").text().get());
    if (!size) return BadListing(StoreCat("blob \"", name, "\" has no valid Content-Length"));
    page.blobs.push_back(ObjectInfo{std::move(name), *size});
  }
  page.next_marker = root.child("NextMarker").text().get();
  return page;
}

std::string AzureBlockId(ByteView nonce, uint32_t index) {
  Bytes raw(nonce.begin(), nonce.end());
  for (int shift = 24; shift >= 0; shift -= 8) raw.push_back(static_cast<uint8_t>(index >> shift));
  return Base64Encode(raw);
}

std::string AzureBlockListXml(const std::vector<std::string>& block_ids) {
  // Base64 needs no XML escaping.
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  for (const std::string& id : block_ids) out += StoreCat("<Latest>", id, "</Latest>");
  out += "</BlockList>";
  return out;
}

std::optional<uint64_t> AzureContentRangeTotal(std::string_view content_range) {
  size_t slash = content_range.rfind('/');
  if (!content_range.starts_with("bytes ") || slash == std::string_view::npos) return std::nullopt;
  return ParseUint(content_range.substr(slash + 1));
}

}  // namespace coffer
