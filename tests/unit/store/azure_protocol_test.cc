// The Blob service's wire format: URL encoding of blob names, List Blobs
// answers (good and broken), block IDs and block lists.
#include "store/azure_protocol.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "base/base64.h"

using namespace coffer;

namespace {

AzureListPage Parse(std::string_view xml) {
  absl::StatusOr<AzureListPage> page = ParseAzureListBlobs(AsBytes(xml));
  INFO(page.status().ToString());
  REQUIRE(page.ok());
  return *page;
}

std::string ParseError(std::string_view xml) {
  absl::StatusOr<AzureListPage> page = ParseAzureListBlobs(AsBytes(xml));
  REQUIRE_FALSE(page.ok());
  CHECK(page.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(page.status().message());
}

}  // namespace

TEST_CASE("Azure blob paths are percent-encoded byte by byte, '/' kept") {
  CHECK(AzurePercentEncode("data/ab/3f-x_y.z~", true) == "data/ab/3f-x_y.z~");
  CHECK(AzurePercentEncode("names/with space", true) == "names/with%20space");
  CHECK(AzurePercentEncode("a+b?c=d&e#f%g'h\"\t", true) == "a%2Bb%3Fc%3Dd%26e%23f%25g%27h%22%09");
  CHECK(AzurePercentEncode("ü🦀", true) == "%C3%BC%F0%9F%A6%80");
  CHECK(AzurePercentEncode("a/b", false) == "a%2Fb");
  CHECK(AzurePercentDecode("%C3%BC%2f%20x") == "ü/ x");
  CHECK(!AzurePercentDecode("%zz").has_value());
  CHECK(!AzurePercentDecode("abc%4").has_value());
}

TEST_CASE("Azure blob names: '\\', trailing dots of a segment and over-long names are refused") {
  CHECK(CheckAzureBlobName("data/ab/3f").ok());
  CHECK(CheckAzureBlobName("names/...dots").ok());
  CHECK(CheckAzureBlobName(".hidden/x").ok());
  CHECK(CheckAzureBlobName("a\\b").code() == absl::StatusCode::kInvalidArgument);
  CHECK(CheckAzureBlobName("a./b").code() == absl::StatusCode::kInvalidArgument);
  CHECK(CheckAzureBlobName("a/b.").code() == absl::StatusCode::kInvalidArgument);
  CHECK(CheckAzureBlobName(std::string(1024, 'x')).ok());
  CHECK_THAT(std::string(CheckAzureBlobName(std::string(1025, 'x')).message()),
             Catch::Contains("1024"));
}

TEST_CASE("Azure container names follow Azure's rules") {
  for (const char* good : {"abc", "coffer-test", "a1-b2-c3", "123"})
    CHECK(CheckAzureContainerName(good).ok());
  for (const char* bad : {"", "ab", "ABC", "a_b", "-ab", "ab-", "a--b", "a.b", "ab c"})
    CHECK(CheckAzureContainerName(bad).code() == absl::StatusCode::kInvalidArgument);
  CHECK(!CheckAzureContainerName(std::string(64, 'a')).ok());
}

TEST_CASE("List Blobs: names, sizes and the next marker") {
  AzureListPage page = Parse(R"(<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1" ContainerName="c">
  <Prefix>p/</Prefix><MaxResults>2</MaxResults>
  <Blobs>
    <Blob><Name>p/config</Name><Properties><Content-Length>4321</Content-Length>
      <Content-Type>application/octet-stream</Content-Type></Properties></Blob>
    <Blob><Name>p/names/q?a=b&amp;c=d &lt;x&gt;</Name><Properties><Content-Length>0</Content-Length></Properties></Blob>
  </Blobs>
  <NextMarker>2!72!MDAwMDA0IXAvbmFtZXMvcQ--</NextMarker>
</EnumerationResults>)");
  REQUIRE(page.blobs.size() == 2);
  CHECK(page.blobs[0].name == "p/config");
  CHECK(page.blobs[0].size == 4321);
  CHECK(page.blobs[1].name == "p/names/q?a=b&c=d <x>");
  CHECK(page.blobs[1].size == 0);
  CHECK(page.next_marker == "2!72!MDAwMDA0IXAvbmFtZXMvcQ--");

  page = Parse("<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>");
  CHECK(page.blobs.empty());
  CHECK(page.next_marker.empty());
  CHECK(Parse("<EnumerationResults/>").next_marker.empty());
}

TEST_CASE("List Blobs: a name XML cannot carry comes percent-encoded (Encoded=\"true\")") {
  AzureListPage page = Parse(
      "<EnumerationResults><Blobs><Blob><Name Encoded=\"true\">p/bell%07%2Fx</Name>"
      "<Properties><Content-Length>3</Content-Length></Properties></Blob></Blobs>"
      "</EnumerationResults>");
  REQUIRE(page.blobs.size() == 1);
  CHECK(page.blobs[0].name == "p/bell\a/x");
}

TEST_CASE("List Blobs: a broken answer is a clear error, never a crash") {
  CHECK_THAT(ParseError(""), Catch::Contains("not XML"));
  CHECK_THAT(ParseError("<html><body>Proxy error</body></html>"),
             Catch::Contains("no EnumerationResults"));
  CHECK_THAT(ParseError("<EnumerationResults><Blobs><Blob><Name>a</Name>"),
             Catch::Contains("not XML"));
  CHECK_THAT(ParseError("<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs>"
                        "</EnumerationResults>"),
             Catch::Contains("without a Name"));
  CHECK_THAT(ParseError("<EnumerationResults><Blobs><Blob><Name>a</Name></Blob></Blobs>"
                        "</EnumerationResults>"),
             Catch::Contains("\"a\" has no valid Content-Length"));
  for (const char* size : {"-1", "12x", "", "99999999999999999999999"})
    CHECK_THAT(
        ParseError(std::string("<EnumerationResults><Blobs><Blob><Name>a</Name>"
                               "<Properties><Content-Length>") +
                   size + "</Content-Length></Properties></Blob></Blobs></EnumerationResults>"),
        Catch::Contains("Content-Length"));
  CHECK_THAT(ParseError("<EnumerationResults><Blobs><Blob><Name Encoded=\"true\">%zz</Name>"
                        "</Blob></Blobs></EnumerationResults>"),
             Catch::Contains("bad %-escape"));
  CHECK_THAT(ParseError("<EnumerationResults><Blobs><Blob><Name></Name></Blob></Blobs>"
                        "</EnumerationResults>"),
             Catch::Contains("empty Name"));
}

TEST_CASE("Block IDs: one length per upload, distinct per block and per nonce") {
  const uint8_t nonce_a[16] = {1, 2, 3};
  const uint8_t nonce_b[16] = {9, 9, 9};
  std::set<std::string> ids;
  for (uint32_t i : {0u, 1u, 255u, 256u, 49999u, 0xffffffffu}) {
    std::string id = AzureBlockId(nonce_a, i);
    CHECK(id.size() == AzureBlockId(nonce_a, 0).size());
    // Azure: at most 64 bytes before base64.
    std::optional<Bytes> raw = Base64Decode(id);
    REQUIRE(raw.has_value());
    CHECK(raw->size() == 20);
    ids.insert(id);
  }
  CHECK(ids.size() == 6);
  CHECK(AzureBlockId(nonce_a, 7) != AzureBlockId(nonce_b, 7));
}

TEST_CASE("Put Block List body lists the IDs in order as Latest") {
  CHECK(AzureBlockListXml({"QUFB", "QkJC"}) ==
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>QUFB</Latest>"
        "<Latest>QkJC</Latest></BlockList>");
}

TEST_CASE("Content-Range gives the object's size") {
  CHECK(AzureContentRangeTotal("bytes 990-999/1000") == 1000u);
  CHECK(AzureContentRangeTotal("bytes */1000") == 1000u);
  CHECK(!AzureContentRangeTotal("bytes 0-9/*").has_value());
  CHECK(!AzureContentRangeTotal("").has_value());
  CHECK(!AzureContentRangeTotal("items 0-9/10").has_value());
}
