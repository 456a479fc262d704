// Object lock requests, checked against the providers' documented headers
// and bodies (no local server implements object lock): S3 PutObject /
// CreateMultipartUpload with x-amz-object-lock-mode and
// x-amz-object-lock-retain-until-date plus Content-MD5, PutObjectRetention and
// GetObjectRetention (signatures verified by the S3 test server); Azure Put
// Blob / Put Block List with x-ms-immutability-policy-until-date and -mode and
// Set Blob Immutability Policy (Shared Key signature recomputed here); GCS
// upload metadata with "retention": {"mode", "retainUntilTime"}.
#include "store/object_lock.h"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "gcs_fake_server.h"
#include "s3_test_server.h"
#include "base/base64.h"
#include "store/azure_shared_key.h"
#include "store/azure_store.h"
#include "store/checksums.h"
#include "store/gcs_store.h"
#include "store/s3_store.h"
#include "store_conformance.h"
#include "support/tree_builder.h"

using namespace coffer;
using coffer::testing::RecordedRequest;
using coffer::testing::S3TestServer;

namespace {

const SigV4Credentials kCredentials{"AKIDTEST", "test/secret+KEY=Zq81x", ""};
constexpr const char* kRegion = "eu-central-1";
const ObjectLockPolicy kGovernance30{30, RetentionMode::kGovernance};
const ObjectLockPolicy kCompliance7{7, RetentionMode::kCompliance};

absl::Time ParseIso(const std::string& text) {
  absl::Time t;
  std::string err;
  REQUIRE(absl::ParseTime(absl::RFC3339_full, text, &t, &err));
  return t;
}

// The retain-until time is upload time + days (whole seconds).
void CheckAbout(absl::Time until, uint32_t days) {
  absl::Duration ahead = until - absl::Now();
  CHECK(ahead > absl::Hours(24) * days - absl::Minutes(2));
  CHECK(ahead <= absl::Hours(24) * days);
}

std::unique_ptr<Store> S3(const S3TestServer& server, uint64_t multipart_threshold = 64 << 20) {
  S3StoreOptions options;
  options.bucket = "locked-bucket";
  options.endpoint = server.Endpoint();
  options.region = kRegion;
  options.credentials = kCredentials;
  options.credential_source = "the test";
  options.multipart_threshold = multipart_threshold;
  options.part_size = 5 << 20;
  auto store = NewS3Store(std::move(options));
  REQUIRE(store.ok());
  return std::move(*store);
}

void CheckSigned(const RecordedRequest& r) {
  INFO(r.method << " " << r.target << ": " << r.signature_problem);
  CHECK(r.signature_problem.empty());
}

}  // namespace

TEST_CASE("object lock: provider request pieces match the documented formats") {
  const absl::Time until = absl::FromUnixSeconds(1798338000);  // 2026-12-27T02:20:00Z
  auto s3 = S3ObjectLockHeaders(RetentionMode::kCompliance, until);
  REQUIRE(s3.size() == 2);
  CHECK(s3[0] == std::make_pair(std::string("x-amz-object-lock-mode"), std::string("COMPLIANCE")));
  CHECK(s3[1] == std::make_pair(std::string("x-amz-object-lock-retain-until-date"),
                                std::string("2026-12-27T02:20:00.000Z")));
  CHECK(S3ObjectLockHeaders(RetentionMode::kGovernance, until)[0].second == "GOVERNANCE");
  CHECK(S3RetentionXml(RetentionMode::kGovernance, until) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Retention "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>GOVERNANCE</Mode>"
        "<RetainUntilDate>2026-12-27T02:20:00.000Z</RetainUntilDate></Retention>");
  CHECK(*ParseS3RetentionXml(S3RetentionXml(RetentionMode::kGovernance, until)) == until);
  CHECK(*ParseS3RetentionXml("<Retention><Mode>GOVERNANCE</Mode></Retention>") == absl::InfinitePast());
  CHECK(absl::IsDataLoss(ParseS3RetentionXml("not xml").status()));

  auto azure = AzureImmutabilityHeaders(RetentionMode::kGovernance, until);
  REQUIRE(azure.size() == 2);
  CHECK(azure[0] == std::make_pair(std::string("x-ms-immutability-policy-until-date"),
                                   std::string("Sun, 27 Dec 2026 02:20:00 GMT")));
  CHECK(azure[1] == std::make_pair(std::string("x-ms-immutability-policy-mode"), std::string("Unlocked")));
  CHECK(AzureImmutabilityHeaders(RetentionMode::kCompliance, until)[1].second == "Locked");
  CHECK(*ParseAzureImmutabilityDate("Sun, 27 Dec 2026 02:20:00 GMT") == until);

  CHECK(nlohmann::json::parse(GcsRetentionJson(RetentionMode::kCompliance, until)) ==
        nlohmann::json{{"mode", "Locked"}, {"retainUntilTime", "2026-12-27T02:20:00Z"}});
  CHECK(*ParseGcsRetention(R"({"name":"x","retention":{"mode":"Unlocked","retainUntilTime":"2026-12-27T02:20:00Z"}})") ==
        until);
  CHECK(*ParseGcsRetention(R"({"name":"x"})") == absl::InfinitePast());

  CHECK(IsRetainedObject("data/ab/cd"));
  CHECK(IsRetainedObject("config"));
  CHECK_FALSE(IsRetainedObject("locks/ab"));
  CHECK_FALSE(IsRetainedObject("mirror/pending/ab"));
  CHECK(*ParseRetentionMode("compliance") == RetentionMode::kCompliance);
  CHECK_FALSE(ParseRetentionMode("strict"));
}

TEST_CASE("object lock: S3 PUTs carry the retention headers and Content-MD5, signed") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest&, httplib::Response& res) {
    res.status = 200;
    res.set_header("ETag", "\"0123\"");
  });
  server.Start();
  std::unique_ptr<Store> store = S3(server);
  REQUIRE(ObjectLockOf(*store) != nullptr);
  COFFER_REQUIRE_OK(ObjectLockOf(*store)->EnableObjectLock(kGovernance30));
  COFFER_REQUIRE_OK(store->Put("data/00/pack", AsBytes("pack bytes")));
  COFFER_REQUIRE_OK(store->Put("locks/0001", AsBytes("lock")));

  auto requests = server.Requests();
  REQUIRE(requests.size() == 2);
  const RecordedRequest& put = requests[0];
  CheckSigned(put);
  CHECK(put.Header("x-amz-object-lock-mode") == "GOVERNANCE");
  CheckAbout(ParseIso(put.Header("x-amz-object-lock-retain-until-date")), 30);
  CHECK(put.Header("content-md5") == Md5Base64(AsBytes("pack bytes")));
  // The lock headers are covered by the signature.
  CHECK_THAT(put.Header("authorization"), Catch::Contains("x-amz-object-lock-mode"));
  CHECK_THAT(put.Header("authorization"), Catch::Contains("x-amz-object-lock-retain-until-date"));
  // Lock objects stay deletable.
  CheckSigned(requests[1]);
  CHECK(requests[1].Header("x-amz-object-lock-mode").empty());
}

TEST_CASE("object lock: S3 multipart uploads set the retention on CreateMultipartUpload") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest& r, httplib::Response& res) {
    res.status = 200;
    res.set_header("ETag", "\"etag\"");
    if (r.method == "POST" && r.HasQuery("uploads"))
      res.set_content("<InitiateMultipartUploadResult><UploadId>up1</UploadId></InitiateMultipartUploadResult>",
                      "application/xml");
    else if (r.method == "POST")
      res.set_content("<CompleteMultipartUploadResult><ETag>\"x\"</ETag></CompleteMultipartUploadResult>",
                      "application/xml");
  });
  server.Start();
  std::unique_ptr<Store> store = S3(server, 5 << 20);
  COFFER_REQUIRE_OK(ObjectLockOf(*store)->EnableObjectLock(kCompliance7));
  const Bytes big = coffer::testing::RandomBytes((5 << 20) + 1000, 3);
  COFFER_REQUIRE_OK(store->Put("data/11/big", big));
  bool saw_create = false;
  for (const RecordedRequest& r : server.Requests()) {
    CheckSigned(r);
    if (r.method == "POST" && r.HasQuery("uploads")) {
      saw_create = true;
      CHECK(r.Header("x-amz-object-lock-mode") == "COMPLIANCE");
      CheckAbout(ParseIso(r.Header("x-amz-object-lock-retain-until-date")), 7);
    }
    if (r.method == "PUT") CHECK(r.Header("content-md5") == Md5Base64(AsBytes(r.body)));
  }
  CHECK(saw_create);
}

TEST_CASE("object lock: S3 reads and extends an object's retention") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest& r, httplib::Response& res) {
    res.status = 200;
    if (r.method == "GET" && r.path.ends_with("/unlocked")) {
      res.status = 404;
      res.set_content(testing::S3ErrorXml("NoSuchObjectLockConfiguration", "none"), "application/xml");
    } else if (r.method == "GET") {
      res.set_content(S3RetentionXml(RetentionMode::kGovernance, absl::FromUnixSeconds(1798338000)),
                      "application/xml");
    }
  });
  server.Start();
  std::unique_ptr<Store> store = S3(server);
  ObjectLockable* lock = ObjectLockOf(*store);
  COFFER_REQUIRE_OK(lock->EnableObjectLock(kGovernance30));
  CHECK(*lock->RetainedUntil("data/00/p") == absl::FromUnixSeconds(1798338000));
  CHECK(*lock->RetainedUntil("data/00/unlocked") == absl::InfinitePast());
  const absl::Time until = absl::FromUnixSeconds(1800000000);
  COFFER_REQUIRE_OK(lock->ExtendRetention("data/00/p", until));
  auto requests = server.Requests();
  REQUIRE(requests.size() == 3);
  for (const auto& r : requests) {
    CheckSigned(r);
    CHECK(r.HasQuery("retention"));
  }
  const RecordedRequest& put = requests[2];
  CHECK(put.method == "PUT");
  CHECK(put.body == S3RetentionXml(RetentionMode::kGovernance, until));
  CHECK(put.Header("content-md5") == Md5Base64(AsBytes(put.body)));
}

namespace {

// A Blob service that records each request and answers 201.
struct FakeBlobService {
  struct Seen {
    std::string method, path, body;
    httplib::Params params;
    httplib::Headers headers;
    std::string Header(const std::string& n) const {
      auto it = headers.find(n);
      return it == headers.end() ? "" : it->second;
    }
  };
  httplib::Server server;
  std::unique_ptr<testing::RunningServer> running;
  std::mutex mu;
  std::vector<Seen> seen;
  std::string until_header;  // answered on HEAD when set

  FakeBlobService() {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      seen.push_back({req.method, req.path, req.body, req.params, req.headers});
      res.status = req.method == "PUT" ? 201 : 200;
      if (req.method == "HEAD") {
        res.set_header("Content-Length", "4");
        if (!until_header.empty()) res.set_header("x-ms-immutability-policy-until-date", until_header);
      }
    };
    server.Put(".*", handle);
    server.Get(".*", handle);
    running = std::make_unique<testing::RunningServer>(server);
  }
  std::string Endpoint() const { return "http://127.0.0.1:" + std::to_string(running->port()) + "/acct"; }
};

constexpr char kAzureKey[] =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// Recomputes the Shared Key signature from what arrived, as the service does.
void CheckAzureSigned(const FakeBlobService::Seen& s) {
  AzureSharedKeyRequest request;
  request.method = s.method;
  request.encoded_path = s.path;  // the test's names need no escaping
  for (const auto& [k, v] : s.params) request.query.emplace_back(k, v);
  for (const auto& [k, v] : s.headers) {
    if (k == "Content-Length" || k == "Authorization" || k.starts_with("REMOTE_") || k.starts_with("LOCAL_"))
      continue;
    request.headers.emplace_back(k, v);
  }
  request.content_length = s.body.size();
  std::optional<Bytes> key = Base64Decode(kAzureKey);
  REQUIRE(key.has_value());
  auto signature = SignAzureSharedKey(request, "acct", *key);
  REQUIRE(signature.ok());
  CHECK(s.Header("Authorization") == signature->authorization);
}

}  // namespace

TEST_CASE("object lock: Azure uploads carry a blob immutability policy, Shared Key signed") {
  FakeBlobService fake;
  AzureStoreOptions options;
  options.endpoint = fake.Endpoint();
  options.account = "acct";
  options.account_key = kAzureKey;
  options.container = "locked";
  options.single_put_threshold = 1 << 20;
  options.block_size = 1 << 20;
  auto store = NewAzureStore(std::move(options));
  REQUIRE(store.ok());
  ObjectLockable* lock = ObjectLockOf(**store);
  REQUIRE(lock != nullptr);
  COFFER_REQUIRE_OK(lock->EnableObjectLock(kCompliance7));
  COFFER_REQUIRE_OK((*store)->Put("data/00/small", AsBytes("small")));
  COFFER_REQUIRE_OK((*store)->Put("data/00/big", coffer::testing::RandomBytes((1 << 20) + 10, 5)));
  COFFER_REQUIRE_OK((*store)->Put("locks/l", AsBytes("lock")));
  const absl::Time until = absl::FromUnixSeconds(1800000000);
  COFFER_REQUIRE_OK(lock->ExtendRetention("data/00/small", until));
  fake.until_header = "Fri, 15 Jan 2027 08:00:00 GMT";
  CHECK(*lock->RetainedUntil("data/00/small") == until);  // read from Get Blob Properties

  std::lock_guard guard(fake.mu);
  int puts_with_policy = 0;
  for (const auto& s : fake.seen) {
    CheckAzureSigned(s);
    const std::string comp = s.params.count("comp") ? s.params.find("comp")->second : "";
    if (s.path.ends_with("/locks/l") || comp == "block") {
      CHECK(s.Header("x-ms-immutability-policy-until-date").empty());
      continue;
    }
    if (s.method != "PUT") continue;
    ++puts_with_policy;
    if (comp == "immutabilityPolicies") {
      CHECK(s.Header("x-ms-immutability-policy-until-date") == "Fri, 15 Jan 2027 08:00:00 GMT");
    } else {
      absl::Time t;
      std::string err;
      REQUIRE(absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", s.Header("x-ms-immutability-policy-until-date"),
                              absl::UTCTimeZone(), &t, &err));
      CheckAbout(t, 7);
    }
    CHECK(s.Header("x-ms-immutability-policy-mode") == "Locked");
    CHECK(s.Header("x-ms-version") >= "2020-06-12");
  }
  CHECK(puts_with_policy == 3);  // Put Blob, Put Block List, Set Blob Immutability Policy
}

TEST_CASE("object lock: GCS uploads set the object retention in their metadata") {
  testing::FakeGcsServer server;
  GcsStoreOptions options;
  options.endpoint = server.Endpoint();
  options.http = HttpClientOptions{};
  auto store = NewGcsStore(GcsLocation{"locked-bucket", "repo"}, std::move(options));
  REQUIRE(store.ok());
  ObjectLockable* lock = ObjectLockOf(**store);
  REQUIRE(lock != nullptr);
  COFFER_REQUIRE_OK(lock->EnableObjectLock(kGovernance30));
  COFFER_REQUIRE_OK((*store)->Put("snapshots/s1", AsBytes("snap")));
  COFFER_REQUIRE_OK((*store)->Put("locks/l1", AsBytes("lock")));
  auto metadata = server.UploadMetadata();
  REQUIRE(metadata.size() == 2);
  REQUIRE(metadata[0].contains("retention"));
  CHECK(metadata[0]["retention"]["mode"] == "Unlocked");
  CheckAbout(ParseIso(metadata[0]["retention"]["retainUntilTime"].get<std::string>()), 30);
  CHECK_FALSE(metadata[1].contains("retention"));
}
