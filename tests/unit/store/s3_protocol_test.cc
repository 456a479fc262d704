// The S3 store's wire protocol against an in-process HTTP server that checks
// every SigV4 signature and scripts the answers (s3_test_server.h): what a
// real S3 does and s3rver cannot show — If-None-Match 412, failing parts and
// the abort, Content-MD5, the signed payload hash, paging, damaged answers,
// and that no secret ever reaches a message. Multipart uploads: s3_multipart_test.cc.
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <string>

#include "s3_test_server.h"
#include "store/checksums.h"
#include "store/s3_client.h"
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

S3StoreOptions TestOptions(const S3TestServer& server) {
  S3StoreOptions options;
  options.bucket = "bucket";
  options.prefix = "pfx";
  options.endpoint = server.Endpoint();
  options.region = kRegion;
  options.credentials = kCredentials;
  options.credential_source = "the test";
  return options;
}

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

void Ok(httplib::Response& res) {
  res.status = 200;
  res.set_header("ETag", "\"0123\"");
}

}  // namespace

TEST_CASE("S3 Put signs the body's SHA-256 and sends its Content-MD5") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest&, httplib::Response& res) { Ok(res); });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  COFFER_REQUIRE_OK(store->Put("data/00/obj", AsBytes("hello")));
  const Bytes large = RandomBytes(100000, 7);
  COFFER_REQUIRE_OK(store->Put("data/00/large", large));

  std::vector<RecordedRequest> requests = server.Requests();
  REQUIRE(requests.size() == 2);
  const RecordedRequest& put = requests[0];
  CheckSigned(put);
  CHECK(put.method == "PUT");
  CHECK(put.path == "/bucket/pfx/data/00/obj");
  CHECK(put.body == "hello");
  CHECK(put.Header("content-md5") == "XUFAKrxLKna5cZ2REBfFkg==");  // MD5("hello")
  CHECK(put.Header("x-amz-content-sha256") ==
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");  // SHA-256("hello")
  CHECK(put.Header("x-amz-security-token") == kCredentials.session_token);
  CHECK_THAT(put.Header("authorization"), Catch::Contains("Credential=AKIDTEST/") &&
                                              Catch::Contains("/eu-west-3/s3/aws4_request"));
  CHECK_THAT(put.Header("authorization"), Catch::Contains("content-md5"));  // Signed, too.
  CheckSigned(requests[1]);
  CHECK(requests[1].Header("content-md5") == Md5Base64(large));
  CHECK(requests[1].Header("x-amz-content-sha256") == SigV4PayloadHash(large));
  CHECK(requests[1].body == ToString(large));
}

TEST_CASE("S3 keys are URI-encoded once per path segment, in the URL and the signature") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest&, httplib::Response& res) { Ok(res); });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"names/with space", "/bucket/pfx/names/with%20space"},
      {"names/a+b", "/bucket/pfx/names/a%2Bb"},
      {"names/100%", "/bucket/pfx/names/100%25"},
      {"names/100%25", "/bucket/pfx/names/100%2525"},
      {"names/tilde~-_.", "/bucket/pfx/names/tilde~-_."},
      {"names/ünï", "/bucket/pfx/names/%C3%BCn%C3%AF"},
      {"names/emoji-🦀", "/bucket/pfx/names/emoji-%F0%9F%A6%80"},
      {"names/q?a=b&c=d", "/bucket/pfx/names/q%3Fa%3Db%26c%3Dd"},
      {"names/x#y", "/bucket/pfx/names/x%23y"},
      {"names/(p)*'!", "/bucket/pfx/names/%28p%29%2A%27%21"},
      {"names/tab\tname", "/bucket/pfx/names/tab%09name"},
      {"a b/c+d/e", "/bucket/pfx/a%20b/c%2Bd/e"},
  };
  for (const auto& [name, path] : cases) COFFER_REQUIRE_OK(store->Put(name, AsBytes("x")));
  std::vector<RecordedRequest> requests = server.Requests();
  REQUIRE(requests.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].first);
    CHECK(requests[i].path == cases[i].second);
    // The server recomputed the signature from the path as received: the
    // canonical URI is that same once-encoded string.
    CheckSigned(requests[i]);
  }
}

TEST_CASE("S3 PutIfAbsent sends If-None-Match: * and turns 412 into AlreadyExists") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest& r, httplib::Response& res) {
    if (r.method == "HEAD") {
      res.status = 404;  // Not there yet, as far as HEAD knows: the race S3 settles.
    } else if (r.method == "PUT" && r.Header("if-none-match") == "*") {
      res.status = 412;
      res.set_content(S3ErrorXml("PreconditionFailed",
                                 "At least one of the pre-conditions you "
                                 "specified did not hold"),
                      "application/xml");
    } else {
      Ok(res);
    }
  });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  absl::Status s = store->PutIfAbsent("locks/l1", AsBytes("mine"));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kAlreadyExists);
  CHECK_THAT(Message(s), Catch::Contains("locks/l1"));
  CHECK_THAT(Message(s), Catch::Contains(store->Describe()));
  std::vector<RecordedRequest> requests = server.Requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "HEAD");
  CHECK(requests[1].method == "PUT");
  CHECK(requests[1].Header("if-none-match") == "*");
  CHECK_THAT(requests[1].Header("authorization"), Catch::Contains("if-none-match"));
  CheckSigned(requests[1]);
  // A plain Put never sends the condition.
  COFFER_REQUIRE_OK(store->Put("locks/l1", AsBytes("overwrite")));
  CHECK(server.Requests().back().Header("if-none-match").empty());
}

TEST_CASE("S3 PutIfAbsent of an object HEAD finds is AlreadyExists without uploading") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest& r, httplib::Response& res) {
    if (r.method == "HEAD") res.set_content("abc", "application/octet-stream");
  });
  server.Start();
  absl::Status s = Open(TestOptions(server))->PutIfAbsent("locks/l1", AsBytes("mine"));
  CHECK(s.code() == absl::StatusCode::kAlreadyExists);
  CHECK(server.Count("PUT") == 0);
}

TEST_CASE("S3 answers 503 SlowDown with Unavailable at once, without retrying") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest&, httplib::Response& res) {
    res.status = 503;
    res.set_content(S3ErrorXml("SlowDown", "Please reduce your request rate."), "application/xml");
  });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  absl::Status s = store->Put("data/00/obj", AsBytes("x"));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(Message(s), Catch::Contains("SlowDown: Please reduce your request rate."));
  CHECK_THAT(Message(s), Catch::Contains(store->Describe() + ": object data/00/obj"));
  CHECK(server.Requests().size() == 1);
}

TEST_CASE("S3 Delete of a missing object is NotFound and sends no DELETE") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest& r, httplib::Response& res) {
    res.status = r.method == "HEAD" ? 404 : 204;
  });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  absl::Status s = store->Delete("locks/gone");
  CHECK(s.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(Message(s), Catch::Contains("locks/gone"));
  CHECK_THAT(Message(s), Catch::Contains(store->Describe()));
  CHECK(server.Count("DELETE") == 0);
}

TEST_CASE("S3 List pages through continuation tokens and decodes url-encoded keys") {
  S3TestServer server(kCredentials, kRegion);
  const std::string token = "tok/+=1 &x";
  std::vector<std::string> problems;
  server.SetHandler([&](const RecordedRequest& r, httplib::Response& res) {
    if (r.path != "/bucket" || r.Query("list-type") != "2" || r.Query("prefix") != "pfx/data/" ||
        r.Query("encoding-type") != "url")
      problems.push_back("unexpected listing request " + r.target);
    std::string body = "<ListBucketResult><EncodingType>url</EncodingType>";
    if (!r.HasQuery("continuation-token")) {
      body += "<IsTruncated>true</IsTruncated><NextContinuationToken>" +
              std::string("tok/+=1 &amp;x") +
              "</NextContinuationToken>"
              "<Contents><Key>pfx/data/a+b%2Bc</Key><Size>5</Size></Contents>"
              "<Contents><Key>pfx/data/folder/</Key><Size>0</Size></Contents>";
    } else {
      if (r.query.at("continuation-token") != token) problems.push_back("token mangled");
      body +=
          "<IsTruncated>false</IsTruncated>"
          "<Contents><Key>pfx/data/z</Key><Size>7</Size></Contents>"
          "<Contents><Key>other/data/q</Key><Size>1</Size></Contents>";
    }
    res.set_content(body + "</ListBucketResult>", "application/xml");
  });
  server.Start();
  std::map<std::string, uint64_t> listed;
  COFFER_REQUIRE_OK(Open(TestOptions(server))->List("data/", [&](const ObjectInfo& info) {
    listed[info.name] = info.size;
    return absl::OkStatus();
  }));
  CHECK(problems.empty());
  CHECK(listed == std::map<std::string, uint64_t>{{"data/a b+c", 5}, {"data/z", 7}});
  REQUIRE(server.Requests().size() == 2);
  for (const RecordedRequest& r : server.Requests()) CheckSigned(r);
}

TEST_CASE("S3 answers that are not what they claim are clear errors naming the store") {
  S3TestServer server(kCredentials, kRegion);
  std::string listing;
  server.SetHandler([&](const RecordedRequest&, httplib::Response& res) {
    res.set_content(listing, "application/xml");
  });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  for (std::string body :
       {"<ListBucketResult><Contents>", "<html>oops</html>", "",
        "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"}) {
    listing = body;
    absl::Status s = store->List("", [](const ObjectInfo&) { return absl::OkStatus(); });
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(Message(s), Catch::Contains(store->Describe()));
    CHECK_THAT(Message(s), Catch::Contains("ListObjectsV2"));
  }
}

TEST_CASE("S3 GetRange asks for exactly its bytes and checks what comes back") {
  S3TestServer server(kCredentials, kRegion);
  const std::string object = ToString(RandomBytes(100, 16));
  std::string mode;
  server.SetHandler([&](const RecordedRequest& r, httplib::Response& res) {
    if (r.method == "HEAD" || mode == "ignore-range") {
      res.set_content(object, "application/octet-stream");
      return;
    }
    if (mode == "416") {
      res.status = 416;
      res.set_content(
          "<Error><Code>InvalidRange</Code><Message>The requested range is not "
          "satisfiable</Message><ActualObjectSize>100</ActualObjectSize></Error>",
          "application/xml");
      return;
    }
    // "bytes=FIRST-LAST", answered as S3 does: clipped to the object's end.
    std::string range = r.Header("range");
    size_t dash = range.find('-');
    size_t first = std::stoul(range.substr(6, dash - 6));
    size_t last = std::min<size_t>(std::stoul(range.substr(dash + 1)), object.size() - 1);
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) +
                                        "/" + std::to_string(object.size()));
    res.body = object.substr(first, last - first + 1);
    res.set_header("Content-Type", "application/octet-stream");
  });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));

  SECTION("a range inside the object") {
    absl::StatusOr<Bytes> got = store->GetRange("data/00/pack", 10, 20);
    COFFER_REQUIRE_OK(got.status());
    CHECK(ToString(*got) == object.substr(10, 20));
    CHECK(server.Requests().back().Header("range") == "bytes=10-29");
  }
  SECTION("a range running past the end is InvalidArgument naming object and size") {
    absl::Status s = store->GetRange("data/00/pack", 90, 20).status();
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(s), Catch::Contains("data/00/pack"));
    CHECK_THAT(Message(s), Catch::Contains("100-byte object"));
  }
  SECTION("a huge range on a small object is refused before any buffer is allocated") {
    absl::Status s = store->GetRange("data/00/pack", 0, uint64_t{1} << 50).status();
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(s), Catch::Contains("100-byte object"));
    CHECK(server.Requests().back().method == "HEAD");
  }
  SECTION("416 is InvalidArgument naming object and size") {
    mode = "416";
    absl::Status s = store->GetRange("data/00/pack", 500, 5).status();
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(s), Catch::Contains("data/00/pack"));
    CHECK_THAT(Message(s), Catch::Contains("100-byte object"));
  }
  SECTION("a server that ignores Range is caught, not believed") {
    mode = "ignore-range";
    absl::Status s = store->GetRange("data/00/pack", 10, 20).status();
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(Message(s), Catch::Contains("more than the 20 bytes"));
    // Asking for the whole object from 0 is the one case where 200 is right.
    absl::StatusOr<Bytes> whole = store->GetRange("data/00/pack", 0, 100);
    COFFER_REQUIRE_OK(whole.status());
    CHECK(ToString(*whole) == object);
  }
}

TEST_CASE("S3 messages never show the secret key, the session token or a signature") {
  S3TestServer server(kCredentials, kRegion);
  // A hostile or careless server that echoes everything it knows.
  server.SetHandler([&](const RecordedRequest& r, httplib::Response& res) {
    std::string auth = r.Header("authorization");
    std::string signature = auth.substr(auth.find("Signature=") + 10);
    res.status = 403;
    res.set_header("x-amz-error-code", "SignatureDoesNotMatch");
    res.set_content(S3ErrorXml("SignatureDoesNotMatch", "you signed " + signature + " with " +
                                                            kCredentials.secret_access_key +
                                                            " and " + kCredentials.session_token),
                    "application/xml");
  });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  std::vector<absl::Status> errors = {
      store->Put("config", AsBytes("x")),
      store->Get("config").status(),
      store->GetRange("config", 1, 2).status(),
      store->Stat("config").status(),
      store->Delete("config"),
      store->PutIfAbsent("config", AsBytes("x")),
      store->List("", [](const ObjectInfo&) { return absl::OkStatus(); })};
  for (const RecordedRequest& r : server.Requests()) {
    std::string auth = r.Header("authorization");
    std::string signature = auth.substr(auth.find("Signature=") + 10);
    REQUIRE(signature.size() == 64);
    for (const absl::Status& s : errors) CHECK_THAT(Message(s), !Catch::Contains(signature));
  }
  for (const absl::Status& s : errors) {
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnauthenticated);
    CHECK_THAT(Message(s), Catch::Contains(store->Describe()));
    CHECK_THAT(Message(s), !Catch::Contains(kCredentials.secret_access_key));
    CHECK_THAT(Message(s), !Catch::Contains(kCredentials.session_token));
    CHECK_THAT(Message(s), !Catch::Contains("Signature="));
  }
  CHECK_THAT(Message(errors[0]), Catch::Contains("[redacted]"));
}

TEST_CASE("S3 HEAD answered 403 without a body is explained by a GET's error document") {
  S3TestServer server(kCredentials, kRegion);
  std::string code;
  server.SetHandler([&](const RecordedRequest& r, httplib::Response& res) {
    res.status = 403;
    if (r.method == "GET" && !code.empty())
      res.set_content(S3ErrorXml(code, "explained"), "application/xml");
  });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  code = "SignatureDoesNotMatch";
  absl::Status s = store->Stat("config").status();
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(s), Catch::Contains("S3 rejected the credentials"));
  CHECK_THAT(Message(s), Catch::Contains(store->Describe() + ": object config"));
  CHECK(server.Requests().back().Header("range") == "bytes=0-0");
  CheckSigned(server.Requests().back());
  code = "AccessDenied";
  CHECK(store->Delete("config").code() == absl::StatusCode::kPermissionDenied);
  CHECK(server.Count("DELETE") == 0);
  code = "";  // No explanation either way: the HEAD's own answer stands.
  s = store->Stat("config").status();
  CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(Message(s), Catch::Contains("HTTP 403"));
}

TEST_CASE("S3 Prepare creates a missing bucket in the configured region, once") {
  S3TestServer server(kCredentials, kRegion);
  bool exists = false;
  server.SetHandler([&](const RecordedRequest& r, httplib::Response& res) {
    if (r.method == "HEAD") {
      res.status = exists ? 200 : 404;
    } else if (r.method == "PUT" && r.path == "/bucket") {
      exists = true;
    } else {
      res.status = 400;
    }
  });
  server.Start();
  std::unique_ptr<Store> store = Open(TestOptions(server));
  COFFER_REQUIRE_OK(store->Prepare());
  COFFER_REQUIRE_OK(store->Prepare());
  CHECK(server.Count("PUT") == 1);
  for (const RecordedRequest& r : server.Requests()) {
    CheckSigned(r);
    if (r.method == "PUT")
      CHECK_THAT(r.body, Catch::Contains("<LocationConstraint>eu-west-3</LocationConstraint>"));
  }
}

TEST_CASE("S3 Stat reads Content-Length from HEAD") {
  S3TestServer server(kCredentials, kRegion);
  server.SetHandler([](const RecordedRequest&, httplib::Response& res) {
    res.set_content(std::string(1234, 'x'), "application/octet-stream");
  });
  server.Start();
  absl::StatusOr<ObjectInfo> info = Open(TestOptions(server))->Stat("index/i1");
  COFFER_REQUIRE_OK(info.status());
  CHECK(info->name == "index/i1");
  CHECK(info->size == 1234);
  CHECK(server.Requests().at(0).method == "HEAD");
  CHECK(server.Requests().at(0).path == "/bucket/pfx/index/i1");
}
