// Multipart uploads on the wire, against the signature-checking in-process
// server (s3_test_server.h): parts with Content-MD5 sent in parallel, the
// completion listing them in order, and the abort after any failure, which
// s3rver cannot show (it has no AbortMultipartUpload and never fails a part).
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <string>

#include "s3_test_server.h"
#include "store/checksums.h"
#include "store/s3_store.h"
#include "store/s3_xml.h"
#include "store_conformance.h"
#include "support/tree_builder.h"

using namespace coffer;
using coffer::testing::RandomBytes;
using coffer::testing::RecordedRequest;
using coffer::testing::S3ErrorXml;
using coffer::testing::S3TestServer;

namespace {

const SigV4Credentials kCredentials{"AKIDTEST", "test/secret+KEY=Zq81x", "session-token-Hq5v"};
constexpr const char* kRegion = "eu-west-3";

std::unique_ptr<Store> Open(S3StoreOptions options) {
  absl::StatusOr<std::unique_ptr<Store>> store = NewS3Store(std::move(options));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

void CheckSigned(const RecordedRequest& r) {
  INFO(r.method << " " << r.target << ": " << r.signature_problem);
  CHECK(r.signature_problem.empty());
}

// Scripted multipart answers: upload id "UP-1", part N answered with ETag
// "etag-N" unless `fail_part` says otherwise; parts and the completion body
// are kept for the test to inspect.
struct MultipartScript {
  std::mutex mu;
  std::map<int, std::string> parts;
  std::string complete_body;
  std::vector<std::string> md5_problems;
  int fail_part = 0;
  bool complete_fails_in_200 = false;
  bool complete_412_when_conditional = false;

  void Answer(const RecordedRequest& r, httplib::Response& res) {
    std::lock_guard lock(mu);
    if (r.method == "HEAD") {
      res.status = 404;
    } else if (r.method == "POST" && r.HasQuery("uploads")) {
      res.set_content(
          "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>k</Key>"
          "<UploadId>UP-1</UploadId></InitiateMultipartUploadResult>",
          "application/xml");
    } else if (r.method == "PUT" && r.HasQuery("partNumber")) {
      int part = std::stoi(r.query.at("partNumber"));
      if (r.query.at("uploadId") != "UP-1") md5_problems.push_back("wrong upload id");
      if (r.Header("content-md5") != Md5Base64(AsBytes(r.body)))
        md5_problems.push_back("part " + std::to_string(part) + " has a wrong Content-MD5");
      if (part == fail_part) {
        res.status = 500;
        res.set_content(S3ErrorXml("InternalError", "We encountered an internal error."),
                        "application/xml");
        return;
      }
      parts[part] = r.body;
      res.set_header("ETag", "\"etag-" + std::to_string(part) + "\"");
    } else if (r.method == "POST" && r.HasQuery("uploadId")) {
      complete_body = r.body;
      if (complete_412_when_conditional && r.Header("if-none-match") == "*") {
        res.status = 412;
        res.set_content(S3ErrorXml("PreconditionFailed", "exists"), "application/xml");
      } else if (complete_fails_in_200) {
        res.set_content(S3ErrorXml("InternalError", "We encountered an internal error."),
                        "application/xml");
      } else {
        res.set_content(
            "<CompleteMultipartUploadResult><ETag>\"x-4\"</ETag>"
            "</CompleteMultipartUploadResult>",
            "application/xml");
      }
    } else if (r.method == "DELETE" && r.HasQuery("uploadId")) {
      res.status = 204;
    } else if (r.method == "PUT") {
      res.set_header("ETag", "\"single\"");
    } else {
      res.status = 400;
      res.set_content(S3ErrorXml("Unexpected", r.method + " " + r.target), "application/xml");
    }
  }

  std::string Reassembled() {
    std::lock_guard lock(mu);
    std::string out;
    for (const auto& [number, body] : parts) out += body;
    return out;
  }
};

S3StoreOptions SmallParts(const S3TestServer& server) {
  S3StoreOptions options;
  options.bucket = "bucket";
  options.prefix = "pfx";
  options.endpoint = server.Endpoint();
  options.region = kRegion;
  options.credentials = kCredentials;
  options.multipart_threshold = 1000;
  options.part_size = 1000;
  options.max_parallel_parts = 3;
  return options;
}

size_t CountWithQuery(const S3TestServer& server, const std::string& method,
                      const std::string& query) {
  size_t n = 0;
  for (const RecordedRequest& r : server.Requests()) n += r.method == method && r.HasQuery(query);
  return n;
}

}  // namespace

TEST_CASE(
    "S3 multipart upload: parts with Content-MD5 in parallel, completion lists them in order") {
  S3TestServer server(kCredentials, kRegion);
  MultipartScript script;
  server.SetHandler(
      [&](const RecordedRequest& r, httplib::Response& res) { script.Answer(r, res); });
  server.Start();
  std::unique_ptr<Store> store = Open(SmallParts(server));
  const Bytes data = RandomBytes(3500, 11);
  COFFER_REQUIRE_OK(store->Put("data/00/big", data));

  CHECK(script.Reassembled() == ToString(data));
  CHECK(script.md5_problems.empty());
  CHECK(script.complete_body ==
        BuildS3CompleteMultipartUpload({"\"etag-1\"", "\"etag-2\"", "\"etag-3\"", "\"etag-4\""}));
  CHECK(CountWithQuery(server, "POST", "uploads") == 1);
  CHECK(CountWithQuery(server, "PUT", "partNumber") == 4);
  CHECK(CountWithQuery(server, "POST", "uploadId") == 1);
  CHECK(server.Count("DELETE") == 0);
  for (const RecordedRequest& r : server.Requests()) {
    CheckSigned(r);
    CHECK(r.path == "/bucket/pfx/data/00/big");
    CHECK(r.Header("if-none-match").empty());
  }
  // At the threshold itself, one PUT.
  COFFER_REQUIRE_OK(store->Put("data/00/small", RandomBytes(1000, 12)));
  CHECK(server.Requests().back().method == "PUT");
  CHECK(!server.Requests().back().HasQuery("partNumber"));
}

TEST_CASE("S3 multipart upload: a failing part aborts the upload and is reported") {
  S3TestServer server(kCredentials, kRegion);
  MultipartScript script;
  script.fail_part = 3;
  server.SetHandler(
      [&](const RecordedRequest& r, httplib::Response& res) { script.Answer(r, res); });
  server.Start();
  std::unique_ptr<Store> store = Open(SmallParts(server));
  absl::Status s = store->Put("data/00/big", RandomBytes(5500, 13));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(Message(s), Catch::Contains("InternalError"));
  CHECK_THAT(Message(s), Catch::Contains(store->Describe() + ": object data/00/big"));
  CHECK(CountWithQuery(server, "POST", "uploadId") == 0);  // Never completed.
  REQUIRE(CountWithQuery(server, "DELETE", "uploadId") == 1);
  for (const RecordedRequest& r : server.Requests())
    if (r.method == "DELETE") CHECK(r.query.at("uploadId") == "UP-1");
}

TEST_CASE("S3 multipart upload: a completion that fails inside a 200 answer aborts too") {
  S3TestServer server(kCredentials, kRegion);
  MultipartScript script;
  script.complete_fails_in_200 = true;
  server.SetHandler(
      [&](const RecordedRequest& r, httplib::Response& res) { script.Answer(r, res); });
  server.Start();
  absl::Status s = Open(SmallParts(server))->Put("data/00/big", RandomBytes(2500, 14));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(Message(s), Catch::Contains("InternalError"));
  CHECK(CountWithQuery(server, "DELETE", "uploadId") == 1);
}

TEST_CASE(
    "S3 multipart PutIfAbsent puts If-None-Match on the completion, and 412 is AlreadyExists") {
  S3TestServer server(kCredentials, kRegion);
  MultipartScript script;
  script.complete_412_when_conditional = true;
  server.SetHandler(
      [&](const RecordedRequest& r, httplib::Response& res) { script.Answer(r, res); });
  server.Start();
  std::unique_ptr<Store> store = Open(SmallParts(server));
  absl::Status s = store->PutIfAbsent("locks/big", RandomBytes(2500, 15));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kAlreadyExists);
  CHECK_THAT(Message(s), Catch::Contains("locks/big"));
  CHECK(CountWithQuery(server, "DELETE", "uploadId") == 1);
  for (const RecordedRequest& r : server.Requests()) {
    // S3 accepts the condition on the completion only.
    const bool completion = r.method == "POST" && r.HasQuery("uploadId");
    INFO(r.method << " " << r.target);
    CHECK((r.Header("if-none-match") == "*") == completion);
  }
}
