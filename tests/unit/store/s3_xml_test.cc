// Parsing S3's XML answers, including the damaged ones.
#include "store/s3_xml.h"

#include <catch2/catch.hpp>
#include <string>

#include "store_conformance.h"

using namespace coffer;

TEST_CASE("S3 error documents give code, message, bucket and object size") {
  std::optional<S3ErrorDocument> doc = ParseS3ErrorDocument(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message>"
      "<RangeRequested>bytes=5000-5009</RangeRequested><ActualObjectSize>1000</ActualObjectSize>"
      "<BucketName>b &amp; c</BucketName><RequestId>X</RequestId></Error>");
  REQUIRE(doc);
  CHECK(doc->code == "InvalidRange");
  CHECK(doc->message == "The requested range is not satisfiable");
  CHECK(doc->bucket_name == "b & c");
  CHECK(doc->actual_object_size == 1000u);
  CHECK_FALSE(ParseS3ErrorDocument(""));
  CHECK_FALSE(ParseS3ErrorDocument("<html><body>502 Bad Gateway</body></html>"));
  CHECK_FALSE(ParseS3ErrorDocument("<Error><Code>Trunc"));
  CHECK_FALSE(ParseS3ErrorDocument(std::string("\0\1\2garbage", 10)));
}

TEST_CASE("ListObjectsV2 pages give keys, sizes and the continuation token") {
  absl::StatusOr<S3ListPage> page = ParseS3ListObjectsV2(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
      "wm36Hy4vbOwM=</NextContinuationToken>"
      "<Contents><Key>p/a &amp; b</Key><Size>12</Size><ETag>\"x\"</ETag></Contents>"
      "<Contents><Key>p/ </Key><Size>0</Size></Contents>"
      "</ListBucketResult>");
  INFO(page.status().ToString());
  REQUIRE(page.ok());
  REQUIRE(page->objects.size() == 2);
  CHECK(page->objects[0].key == "p/a & b");
  CHECK(page->objects[0].size == 12);
  CHECK(page->objects[1].key == "p/ ");  // White space is a key too.
  CHECK(page->truncated);
  CHECK(page->next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  CHECK_FALSE(page->url_encoded);
}

TEST_CASE("ListObjectsV2 keys are URL-decoded only when the server says it encoded them") {
  const std::string contents =
      "<Contents><Key>p/with+space%2Bplus%25%F0%9F%A6%80%09tab</Key><Size>1</Size></Contents>";
  absl::StatusOr<S3ListPage> encoded = ParseS3ListObjectsV2(
      "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>" +
      contents + "</ListBucketResult>");
  REQUIRE(encoded.ok());
  CHECK(encoded->url_encoded);
  CHECK(encoded->objects.at(0).key == "p/with space+plus%🦀\ttab");
  absl::StatusOr<S3ListPage> raw = ParseS3ListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated>" + contents + "</ListBucketResult>");
  REQUIRE(raw.ok());
  CHECK(raw->objects.at(0).key == "p/with+space%2Bplus%25%F0%9F%A6%80%09tab");
  CHECK_FALSE(raw->truncated);
}

TEST_CASE("damaged ListObjectsV2 answers are clear Unavailable errors, never a crash") {
  struct Case {
    std::string body, says;
  };
  for (const Case& c : {
           Case{"", "empty ListObjectsV2 response"},
           Case{"<ListBucketResult><Contents><Key>a</Key>", "malformed ListObjectsV2 response"},
           Case{"<html>proxy error</html>", "root element <html>"},
           Case{"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
                "without <Key>"},
           Case{"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents>"
                "</ListBucketResult>",
                "no valid <Size>"},
           Case{"<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>",
                "no valid <Size>"},
           Case{"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
                "no <NextContinuationToken>"},
           Case{"<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
                "IsTruncated"},
           Case{"<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key>"
                "<Size>1</Size></Contents></ListBucketResult>",
                "bad %-escape"},
           Case{std::string("\xff\xfe<\0L", 5), "ListObjectsV2"},
       }) {
    absl::StatusOr<S3ListPage> page = ParseS3ListObjectsV2(c.body);
    REQUIRE_FALSE(page.ok());
    INFO(page.status().ToString());
    CHECK(page.status().code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(std::string(page.status().message()), Catch::Contains(c.says));
  }
}

TEST_CASE("CreateMultipartUpload answers give the upload id") {
  absl::StatusOr<std::string> id = ParseS3InitiateMultipartUpload(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>VXBsb2FkIElE-&amp;x</UploadId></InitiateMultipartUploadResult>");
  REQUIRE(id.ok());
  CHECK(*id == "VXBsb2FkIElE-&x");
  CHECK(ParseS3InitiateMultipartUpload("<InitiateMultipartUploadResult/>").status().code() ==
        absl::StatusCode::kUnavailable);
  CHECK(ParseS3InitiateMultipartUpload("<Error><Code>X</Code></Error>").status().code() ==
        absl::StatusCode::kUnavailable);
}

TEST_CASE("CompleteMultipartUpload lists the parts in order with their ETags") {
  std::string xml = BuildS3CompleteMultipartUpload({"\"a1\"", "\"b&2\""});
  CHECK(xml ==
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Part><PartNumber>1</PartNumber><ETag>\"a1\"</ETag></Part>"
        "<Part><PartNumber>2</PartNumber><ETag>\"b&amp;2\"</ETag></Part>"
        "</CompleteMultipartUpload>");
}

TEST_CASE("URL decoding and one more level of XML unescaping") {
  CHECK(*S3UrlDecode("a+b%20c%2B%2f") == "a b c+/");
  CHECK(S3UrlDecode("%").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(S3UrlDecode("%4").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(S3XmlUnescapeOnce("pipe|&lt;angle&gt; &amp; &#x27;q") == "pipe|<angle> & 'q");
  CHECK_FALSE(S3XmlUnescapeOnce("no references"));
  CHECK_FALSE(S3XmlUnescapeOnce("bad & lone ampersand"));
  CHECK_FALSE(S3XmlUnescapeOnce("<k>&amp;"));
}
