#include "store/s3_xml.h"

#include <charconv>
#include <pugixml.hpp>

#include "absl/status/status.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

// Parses `body` and returns its root element, or an error naming `what`.
absl::StatusOr<pugi::xml_node> Root(pugi::xml_document& doc, std::string_view body,
                                    std::string_view what, std::string_view expected_root) {
  if (body.empty())
    return absl::UnavailableError(
        StoreCat("empty ", what, " response (expected <", expected_root, ">)"));
  pugi::xml_parse_result parsed =
      doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                      pugi::encoding_utf8);
  if (!parsed)
    return absl::UnavailableError(StoreCat("malformed ", what, " response: ", parsed.description(),
                                           " at byte ", parsed.offset));
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != expected_root)
    return absl::UnavailableError(StoreCat("unexpected ", what, " response: root element <",
                                           root.name(), ">, expected <", expected_root, ">"));
  return root;
}

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Element text: '"' needs no escape there (ETags are quoted, and not every
// server decodes &quot; back).
void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

std::optional<S3ErrorDocument> ParseS3ErrorDocument(std::string_view body) {
  pugi::xml_document doc;
  absl::StatusOr<pugi::xml_node> root = Root(doc, body, "error", "Error");
  if (!root.ok()) return std::nullopt;
  S3ErrorDocument out;
  out.code = root->child("Code").text().get();
  out.message = root->child("Message").text().get();
  out.bucket_name = root->child("BucketName").text().get();
  out.region = root->child("Region").text().get();
  out.actual_object_size = ParseUint(root->child("ActualObjectSize").text().get());
  return out;
}

absl::StatusOr<S3ListPage> ParseS3ListObjectsV2(std::string_view body) {
  pugi::xml_document doc;
  absl::StatusOr<pugi::xml_node> root = Root(doc, body, "ListObjectsV2", "ListBucketResult");
  if (!root.ok()) return root.status();
  S3ListPage page;
  const bool url_encoded = std::string_view(root->child("EncodingType").text().get()) == "url";
  std::string_view truncated = root->child("IsTruncated").text().get();
  if (truncated != "true" && truncated != "false" && !truncated.empty())
    return absl::UnavailableError(
        StoreCat("malformed ListObjectsV2 response: IsTruncated is \"", truncated, "\""));
  page.truncated = truncated == "true";
  page.url_encoded = url_encoded;
  for (pugi::xml_node contents : root->children("Contents")) {
    pugi::xml_node key = contents.child("Key");
    if (!key)
      return absl::UnavailableError("malformed ListObjectsV2 response: <Contents> without <Key>");
    S3ListedObject object;
    object.key = key.text().get();
    if (url_encoded) {
      absl::StatusOr<std::string> decoded = S3UrlDecode(object.key);
      if (!decoded.ok())
        return absl::UnavailableError(StoreCat("malformed ListObjectsV2 response: ",
                                               std::string(decoded.status().message())));
      object.key = std::move(*decoded);
    }
    std::optional<uint64_t> size = ParseUint(contents.child("Size").text().get());
    if (!size)
      return absl::UnavailableError(StoreCat("malformed ListObjectsV2 response: key \"", object.key,
                                             "\" has no valid <Size>"));
    object.size = *size;
    page.objects.push_back(std::move(object));
  }
  if (page.truncated) {
    page.next_continuation_token = root->child("NextContinuationToken").text().get();
    // Without a token the listing could only start over, forever.
    if (page.next_continuation_token.empty())
      return absl::UnavailableError(
          "malformed ListObjectsV2 response: truncated but no <NextContinuationToken>");
  }
  return page;
}

absl::StatusOr<std::string> ParseS3InitiateMultipartUpload(std::string_view body) {
  pugi::xml_document doc;
  absl::StatusOr<pugi::xml_node> root =
      Root(doc, body, "CreateMultipartUpload", "InitiateMultipartUploadResult");
  if (!root.ok()) return root.status();
  std::string upload_id = root->child("UploadId").text().get();
  if (upload_id.empty())
    return absl::UnavailableError("malformed CreateMultipartUpload response: no <UploadId>");
  return upload_id;
}

std::string BuildS3CompleteMultipartUpload(const std::vector<std::string>& part_etags) {
  std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (size_t i = 0; i < part_etags.size(); ++i) {
    out += StoreCat("<Part><PartNumber>", i + 1, "</PartNumber><ETag>");
    AppendEscaped(out, part_etags[i]);
    out += "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::optional<std::string> S3XmlUnescapeOnce(std::string_view text) {
  if (text.find('&') == std::string_view::npos) return std::nullopt;
  std::string wrapped = StoreCat("<k>", text, "</k>");
  pugi::xml_document doc;
  if (!doc.load_buffer(wrapped.data(), wrapped.size(),
                       pugi::parse_default | pugi::parse_ws_pcdata_single, pugi::encoding_utf8))
    return std::nullopt;
  std::string out = doc.document_element().text().get();
  if (out == text) return std::nullopt;
  return out;
}

absl::StatusOr<std::string> S3UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return absl::InvalidArgumentError(StoreCat("bad %-escape in URL-encoded key \"", s, "\""));
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace coffer
