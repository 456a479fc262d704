// The GCS store against an in-process server that follows Google's
// documented protocol (gcs_fake_server.h): the whole conformance suite with
// multi-chunk resumable uploads and many list pages, and what the storage
// emulator cannot show (atomic create-if-absent, 308 resumption, rejected
// damaged uploads, error replies, credentials).
#include "store/gcs_store.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <string>

#include "gcs_fake_server.h"
#include "gcs_test_keys.h"
#include "store/checksums.h"
#include "store_conformance.h"
#include "support/tree_builder.h"

using namespace coffer;
using namespace coffer::testing;

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * 1024;
const GcsLocation kLocation{"test-bucket", "repo/prefix"};

std::string Message(const absl::Status& s) { return std::string(s.message()); }

GcsStoreOptions FakeOptions(const FakeGcsServer& server) {
  GcsStoreOptions options;
  options.endpoint = server.Endpoint();
  options.resumable_threshold_bytes = 1 * kMiB;
  options.resumable_chunk_bytes = 1 * kMiB;
  options.resumable_retry_delay = absl::ZeroDuration();
  options.http = HttpClientOptions{};
  return options;
}

std::unique_ptr<Store> MustStore(GcsLocation location, GcsStoreOptions options) {
  absl::StatusOr<std::unique_ptr<Store>> store =
      NewGcsStore(std::move(location), std::move(options));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

std::string Contents(const Bytes& data) { return ToString(data); }

int Count(const std::vector<std::string>& lines, const std::string& needle) {
  int n = 0;
  for (const std::string& line : lines) n += line.find(needle) != std::string::npos;
  return n;
}

// A GCS error document, as the intercept hook answers it.
void GcsError(httplib::Response& res, int code, const std::string& message,
              const std::string& reason) {
  res.status = code;
  res.set_content(nlohmann::json{{"error",
                                  {{"code", code},
                                   {"message", message},
                                   {"errors", {{{"reason", reason}, {"message", message}}}}}}}
                      .dump(),
                  "application/json");
}

}  // namespace

TEST_CASE(
    "GCS store keeps the Store contract against a server that follows the documented protocol") {
  FakeGcsServer server;
  // Every non-final chunk is acknowledged 256 KiB short, so the large-object
  // check resends parts of chunks; 7 objects a page make the 1500-object
  // listing take over 200 pages.
  server.short_ack_bytes = 256 * kKiB;
  std::atomic<int> stores{0};
  RunStoreConformance([&] {
    GcsStoreOptions options = FakeOptions(server);
    options.list_page_size = 7;
    return MustStore(GcsLocation{"test-bucket", "run/" + std::to_string(++stores)}, options);
  });
}

TEST_CASE("a resumable upload resumes from what the server acknowledges, not from what it sent") {
  FakeGcsServer server;
  server.short_ack_bytes = 256 * kKiB;
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  const Bytes data = RandomBytes(3 * kMiB + 1000, 7);
  COFFER_REQUIRE_OK(store->Put("data/big", data));
  REQUIRE(server.Objects().count("repo/prefix/data/big") == 1);
  CHECK(server.Objects().at("repo/prefix/data/big").data == Contents(data));
  // Chunks of 1 MiB; each acknowledged to 256 KiB before its end.
  const std::string total = std::to_string(data.size());
  CHECK(server.ContentRanges() == std::vector<std::string>{"bytes 0-1048575/" + total,
                                                           "bytes 786432-1835007/" + total,
                                                           "bytes 1572864-2621439/" + total,
                                                           "bytes 2359296-3146727/" + total});
  // The session started with the object's name, size and hashes.
  nlohmann::json metadata = server.UploadMetadata().at(0);
  CHECK(metadata["name"] == "repo/prefix/data/big");
  CHECK(metadata["crc32c"] == Crc32cBase64(data));
  CHECK(metadata["md5Hash"] == Md5Base64(data));
  CHECK(Count(server.Log(), "uploadType=resumable") == 1 + 4);
  CHECK(server.CancelledSessions() == 0);
}

TEST_CASE("a resumable chunk that fails is resumed after asking the server how far it got") {
  FakeGcsServer server;
  server.fail_chunks = 1;  // Keeps half of the first chunk, then 503.
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  const Bytes data = RandomBytes(2 * kMiB, 8);
  COFFER_REQUIRE_OK(store->Put("data/big", data));
  CHECK(server.Objects().at("repo/prefix/data/big").data == Contents(data));
  CHECK(server.ContentRanges() ==
        std::vector<std::string>{"bytes 0-1048575/2097152", "bytes */2097152",
                                 "bytes 524288-1572863/2097152", "bytes 1572864-2097151/2097152"});
}

TEST_CASE("a resumable upload that makes no progress gives up and cancels its session") {
  FakeGcsServer server;
  server.intercept = [](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "PUT") return false;
    if (req.body.empty()) {
      res.status = 308;  // A status query: nothing persisted.
    } else {
      GcsError(res, 503, "Backend Error", "backendError");
    }
    return true;
  };
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  absl::Status s = store->Put("data/big", RandomBytes(2 * kMiB, 9));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(Message(s),
             Catch::StartsWith("GCS store gs://test-bucket/repo/prefix: object data/big: "));
  CHECK(server.CancelledSessions() == 1);
  CHECK(server.Objects().empty());
  // The session's upload_id is as good as a credential: never in a message.
  CHECK_THAT(Message(s), !Catch::Contains("upload_id"));
  CHECK_THAT(Message(s), !Catch::Contains("session1"));
}

TEST_CASE("PutIfAbsent sends ifGenerationMatch=0 and the server's 412 is AlreadyExists") {
  FakeGcsServer server;
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  for (uint64_t size : {uint64_t{100}, 2 * kMiB}) {  // Multipart, then resumable.
    INFO("size " << size);
    const std::string name = "locks/l" + std::to_string(size);
    const Bytes first = RandomBytes(size, 1), second = RandomBytes(size, 2);
    COFFER_REQUIRE_OK(store->PutIfAbsent(name, first));
    absl::Status s = store->PutIfAbsent(name, second);
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kAlreadyExists);
    CHECK_THAT(Message(s), Catch::Contains("GCS store gs://test-bucket/repo/prefix"));
    CHECK_THAT(Message(s), Catch::Contains(name));
    CHECK(server.Objects().at("repo/prefix/" + name).data == Contents(first));
    // Put overwrites without the precondition.
    COFFER_REQUIRE_OK(store->Put(name, second));
    CHECK(server.Objects().at("repo/prefix/" + name).data == Contents(second));
  }
  CHECK(Count(server.Log(), "ifGenerationMatch=0") == 4);
  CHECK(Count(server.Log(), "POST") == 6);
}

TEST_CASE("every upload carries its CRC32C and MD5, so a server rejects damaged bytes") {
  FakeGcsServer server;
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  const Bytes small = RandomBytes(5000, 3);
  COFFER_REQUIRE_OK(store->Put("index/i1", small));
  nlohmann::json metadata = server.UploadMetadata().at(0);
  CHECK(metadata["name"] == "repo/prefix/index/i1");
  CHECK(metadata["crc32c"] == Crc32cBase64(small));
  CHECK(metadata["md5Hash"] == Md5Base64(small));

  server.damage_uploads = true;
  for (uint64_t size : {uint64_t{5000}, 2 * kMiB}) {
    INFO("size " << size);
    absl::Status s = store->Put("data/damaged", RandomBytes(size, 4));
    INFO(s.ToString());
    // Unavailable: the bytes were damaged on the way, so another try may work.
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(Message(s), Catch::Contains("checksum mismatch"));
    CHECK_THAT(Message(s), Catch::Contains("object data/damaged"));
    CHECK(server.Objects().count("repo/prefix/data/damaged") == 0);
  }
}

TEST_CASE("a server that ends a resumable upload early is DataLoss, and that object is removed") {
  FakeGcsServer server;
  server.finish_early = true;  // What the storage emulator does.
  GcsStoreOptions options = FakeOptions(server);
  options.resumable_chunk_bytes = 256 * kKiB;
  std::unique_ptr<Store> store = MustStore(kLocation, options);
  absl::Status s = store->Put("data/big", RandomBytes(1 * kMiB, 5));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(Message(s), Catch::Contains("stored 262144 bytes"));
  CHECK_THAT(Message(s), Catch::Contains("1048576 bytes"));
  CHECK_THAT(Message(s), Catch::Contains("deleted again"));
  CHECK(server.Objects().empty());
  CHECK(Count(server.Log(),
              "DELETE /storage/v1/b/test-bucket/o/repo%2Fprefix%2Fdata%2Fbig?ifGenerationMatch=") ==
        1);
}

TEST_CASE("a range answered with the whole object (200) is judged by the object's size") {
  FakeGcsServer server;
  // As the storage emulator does for ranges it cannot satisfy.
  server.intercept = [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("alt") != "media") return false;
    // cpp-httplib would cut the body to the Range (or answer 416) itself; the
    // request is its own non-const local, handed over as const.
    const_cast<httplib::Request&>(req).ranges.clear();
    res.status = 200;
    res.set_content("0123456789", "application/octet-stream");
    return true;
  };
  server.PutObject("repo/prefix/data/ten", "0123456789");
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  for (uint64_t offset : {10, 15}) {
    absl::StatusOr<Bytes> got = store->GetRange("data/ten", offset, 10);
    INFO(got.status().ToString());
    CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(got.status()), Catch::Contains("10-byte object"));
  }
  // More bytes than the range: the range was fine, the server was not.
  absl::StatusOr<Bytes> ignored = store->GetRange("data/ten", 2, 3);
  CHECK(ignored.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(Message(ignored.status()), Catch::Contains("ignored the Range header"));
  CHECK(ToString(store->GetRange("data/ten", 0, 10).value()) == "0123456789");
}

TEST_CASE(
    "a short ranged reply for a range that fits the object is DataLoss, never a short result") {
  FakeGcsServer server;
  server.intercept = [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("alt") != "media") return false;
    const_cast<httplib::Request&>(req).ranges.clear();  // No Content-Range from cpp-httplib.
    res.status = 206;
    res.set_content("234", "application/octet-stream");
    return true;
  };
  server.PutObject("repo/prefix/data/ten", "0123456789");
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  absl::StatusOr<Bytes> got = store->GetRange("data/ten", 2, 5);
  INFO(got.status().ToString());
  CHECK(got.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(Message(got.status()), Catch::Contains("the server sent 3 bytes for a range of 5"));
}

TEST_CASE("a download whose bytes do not match the server's CRC32C is DataLoss") {
  FakeGcsServer server;
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  COFFER_REQUIRE_OK(store->Put("data/p", RandomBytes(10000, 6)));
  server.damage_downloads = true;
  absl::StatusOr<Bytes> got = store->Get("data/p");
  INFO(got.status().ToString());
  CHECK(got.status().code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(Message(got.status()), Catch::Contains("CRC32C"));
  CHECK_THAT(Message(got.status()), Catch::Contains("object data/p"));
}

TEST_CASE(
    "GCS error replies map to status codes, naming the store, the object and the server's words") {
  FakeGcsServer server;
  int status = 0;
  std::string message, reason;
  server.intercept = [&](const httplib::Request&, httplib::Response& res) {
    GcsError(res, status, message, reason);
    return true;
  };
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  struct Case {
    int status;
    const char* message;
    const char* reason;
    absl::StatusCode code;
    const char* says;
  };
  for (Case c :
       {Case{401, "Invalid Credentials", "authError", absl::StatusCode::kUnauthenticated,
             "not authenticated"},
        Case{403, "sa@p does not have storage.objects.get access", "forbidden",
             absl::StatusCode::kPermissionDenied, "permission denied"},
        Case{404, "No such object: test-bucket/repo/prefix/data/x", "notFound",
             absl::StatusCode::kNotFound, "not found"},
        Case{404, "The specified bucket does not exist.", "notFound", absl::StatusCode::kNotFound,
             "bucket \"test-bucket\" does not exist"},
        Case{412, "At least one of the pre-conditions you specified did not hold.",
             "conditionNotMet", absl::StatusCode::kFailedPrecondition, "precondition failed"},
        Case{416, "The requested range cannot be satisfied.", "requestedRangeNotSatisfiable",
             absl::StatusCode::kInvalidArgument, "range not satisfiable"},
        Case{429, "The rate of change requests to the object is too high.", "rateLimitExceeded",
             absl::StatusCode::kUnavailable, "slow down"},
        Case{500, "Backend Error", "backendError", absl::StatusCode::kUnavailable, "server error"},
        Case{503, "Service Unavailable", "backendError", absl::StatusCode::kUnavailable,
             "server error"},
        Case{400, "Invalid argument.", "invalid", absl::StatusCode::kInvalidArgument,
             "bad request"}}) {
    status = c.status;
    message = c.message;
    reason = c.reason;
    // Stat, Get and Delete address the object (Put's 412 means something else).
    for (const absl::Status& s :
         {store->Stat("data/x").status(), store->Get("data/x").status(), store->Delete("data/x")}) {
      INFO(s.ToString());
      CHECK(s.code() == c.code);
      CHECK_THAT(Message(s),
                 Catch::StartsWith("GCS store gs://test-bucket/repo/prefix: object data/x: "));
      CHECK_THAT(Message(s), Catch::Contains(c.says));
      CHECK_THAT(Message(s), Catch::Contains(std::string("HTTP ") + std::to_string(c.status) + " " +
                                             c.reason + ": " + c.message));
    }
  }
  SECTION("a listing's 404 is the bucket's") {
    status = 404;
    message = "Not Found";
    reason = "notFound";
    absl::Status s = store->List("data/", [](const ObjectInfo&) { return absl::OkStatus(); });
    CHECK(s.code() == absl::StatusCode::kNotFound);
    CHECK_THAT(Message(s),
               Catch::Contains("listing prefix \"data/\": bucket \"test-bucket\" does not exist"));
    absl::Status prepared = store->Prepare();
    CHECK(prepared.code() == absl::StatusCode::kNotFound);
    CHECK_THAT(Message(prepared), Catch::Contains("bucket \"test-bucket\" does not exist"));
  }
}

TEST_CASE("replies that are not what the API promises are clear errors, not crashes") {
  FakeGcsServer server;
  std::string body;
  int status = 200;
  server.intercept = [&](const httplib::Request&, httplib::Response& res) {
    res.status = status;
    res.set_content(body, "application/json");
    return true;
  };
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  auto list = [&] { return store->List("", [](const ObjectInfo&) { return absl::OkStatus(); }); };
  for (const char* reply :
       {"<html>proxy</html>", "[1,2]", R"({"size": "12x"})", "{\"size\": -1}"}) {
    body = reply;
    absl::Status s = store->Stat("config").status();
    INFO(reply << " -> " << s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(Message(s), Catch::Contains("object config: unexpected reply from the server"));
  }
  for (const char* reply :
       {"not json", R"({"items": 5})", R"({"items": [{"name": "repo/prefix/a"}]})",
        R"({"items": [{"size": "1"}]})", R"({"items": [7]})"}) {
    body = reply;
    absl::Status s = list();
    INFO(reply << " -> " << s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(Message(s), Catch::Contains("listing prefix \"\": unexpected reply"));
  }
  body = R"({"items": [], "nextPageToken": "same"})";
  // The first page's token is "same", so is the second's: not an endless loop.
  CHECK_THAT(Message(list()), Catch::Contains("the same page token twice"));
  for (const char* reply : {"", "{}", R"({"size": "3", "crc32c": "AAAAAA=="})"}) {
    body = reply;
    absl::Status s = store->Put("config", AsBytes("abc"));
    INFO("'" << reply << "' -> " << s.ToString());
    CHECK(!s.ok());
    CHECK_THAT(Message(s), Catch::Contains("object config"));
  }
  status = 502;
  body = "<html><body>Bad Gateway</body></html>";
  absl::Status s = store->Get("config").status();
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(Message(s), Catch::Contains("HTTP 502: <html><body>Bad Gateway</body></html>"));
}

TEST_CASE("a listing skips objects whose names no Store name could be") {
  FakeGcsServer server;
  for (const char* name : {"repo/prefix/ok", "repo/prefix/a//b", "repo/prefix/./x",
                           "repo/prefix/.tmp-1", "repo/prefixed/other", "elsewhere"})
    server.PutObject(name, "x");
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  std::vector<std::string> names;
  COFFER_REQUIRE_OK(store->List("", [&](const ObjectInfo& info) {
    names.push_back(info.name);
    return absl::OkStatus();
  }));
  CHECK(names == std::vector<std::string>{"ok"});
}

TEST_CASE("names GCS cannot store are InvalidArgument before anything is sent") {
  FakeGcsServer server;
  std::unique_ptr<Store> store = MustStore(kLocation, FakeOptions(server));
  for (const std::string& name : {std::string("data/\xff"), std::string("data/a\nb"),
                                  std::string("data/") + std::string(1100, 'x')}) {
    absl::Status s = store->Put(name, AsBytes("x"));
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(store->Get(name).status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(server.Log().empty());
}

TEST_CASE("GCS store options that cannot work are InvalidArgument") {
  FakeGcsServer server;
  auto check = [&](auto change, const char* says) {
    GcsStoreOptions options = FakeOptions(server);
    change(options);
    absl::StatusOr<std::unique_ptr<Store>> store = NewGcsStore(kLocation, options);
    INFO(store.status().ToString());
    CHECK(store.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(store.status()), Catch::Contains(says));
  };
  check([](GcsStoreOptions& o) { o.resumable_chunk_bytes = 1000 * kKiB; }, "256 KiB");
  check([](GcsStoreOptions& o) { o.resumable_threshold_bytes = 0; }, "threshold");
  check([](GcsStoreOptions& o) { o.list_page_size = 0; }, "1..1000");
  check([](GcsStoreOptions& o) { o.list_page_size = 1001; }, "1..1000");
  check([](GcsStoreOptions& o) { o.endpoint = "storage.googleapis.com"; }, "http://HOST");
  // 0 is "one request" and fine.
  GcsStoreOptions whole = FakeOptions(server);
  whole.resumable_chunk_bytes = 0;
  std::unique_ptr<Store> store = MustStore(kLocation, whole);
  const Bytes data = RandomBytes(3 * kMiB, 10);
  COFFER_REQUIRE_OK(store->Put("data/one-request", data));
  CHECK(server.ContentRanges() == std::vector<std::string>{"bytes 0-3145727/3145728"});
}

TEST_CASE("requests carry the service account's token, a refused one is replaced once") {
  FakeTokenEndpoint tokens;
  FakeGcsServer server;
  absl::StatusOr<ServiceAccountKey> key =
      ParseServiceAccountKey(ServiceAccountJson(tokens.Url()).dump(), "test key file");
  REQUIRE(key.ok());
  absl::StatusOr<std::shared_ptr<GcsTokenSource>> source = NewServiceAccountTokenSource(*key);
  REQUIRE(source.ok());
  GcsStoreOptions options = FakeOptions(server);
  options.token_source = *source;
  std::unique_ptr<Store> store = MustStore(kLocation, options);

  // Token 1 was revoked: the server wants token 2.
  server.required_bearer = "ya29.fake-token-2";
  COFFER_REQUIRE_OK(store->Put("config", AsBytes("c")));
  CHECK(server.AuthorizationHeaders() ==
        std::vector<std::string>{"Bearer ya29.fake-token-1", "Bearer ya29.fake-token-2"});
  CHECK(tokens.Requests() == 2);

  SECTION("a token the server keeps refusing is Unauthenticated, without the token") {
    server.required_bearer = "ya29.something-else";
    absl::Status s = store->Stat("config").status();
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnauthenticated);
    CHECK_THAT(Message(s),
               Catch::Contains("GCS store gs://test-bucket/repo/prefix: object config"));
    CHECK_THAT(Message(s), !Catch::Contains("ya29"));
    CHECK_THAT(Message(s), !Catch::Contains("Bearer"));
    CHECK(tokens.Requests() == 3);  // One fresh token, not a loop.
  }
  SECTION("a token endpoint refusing the JWT is Unauthenticated naming the store and endpoint") {
    tokens.mode = FakeTokenEndpoint::Mode::kRefuse;
    server.required_bearer = "ya29.something-else";
    absl::Status s = store->Get("config").status();
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnauthenticated);
    CHECK_THAT(Message(s),
               Catch::Contains("GCS store gs://test-bucket/repo/prefix: object config"));
    CHECK_THAT(Message(s), Catch::Contains("token endpoint " + tokens.Url()));
    CHECK_THAT(Message(s), !Catch::Contains("ya29"));
    for (const std::string& fragment : KeyFragments(TestKey().private_pem))
      CHECK_THAT(Message(s), !Catch::Contains(fragment));
    for (const std::string& assertion : tokens.Assertions())
      CHECK_THAT(Message(s), !Catch::Contains(assertion.substr(assertion.rfind('.') + 1, 30)));
  }
}

TEST_CASE("a resumable session on another host gets no credentials") {
  FakeGcsServer api, elsewhere;
  const Bytes data = RandomBytes(2 * kMiB, 11);
  api.intercept = [&](const httplib::Request& req, httplib::Response& res) {
    if (req.get_param_value("uploadType") != "resumable") return false;
    res.status = 200;
    res.set_header("Location",
                   elsewhere.Endpoint() + "/upload/storage/v1/b/test-bucket/o?upload_id=x");
    return true;
  };
  elsewhere.intercept = [&](const httplib::Request& req, httplib::Response& res) {
    res.status = 200;
    res.set_content(nlohmann::json{{"size", std::to_string(req.body.size())},
                                   {"crc32c", Crc32cBase64(AsBytes(req.body))}}
                        .dump(),
                    "application/json");
    return true;
  };
  GcsStoreOptions options = FakeOptions(api);
  options.token_source = NewStaticGcsTokenSource("ya29.secret", "test token");
  options.resumable_chunk_bytes = 0;
  std::unique_ptr<Store> store = MustStore(kLocation, options);
  COFFER_REQUIRE_OK(store->Put("data/big", data));
  CHECK(api.AuthorizationHeaders() == std::vector<std::string>{"Bearer ya29.secret"});
  CHECK(elsewhere.AuthorizationHeaders() == std::vector<std::string>{""});
}
