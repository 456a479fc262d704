// The Azure store against a scripted Blob service (cpp-httplib on 127.0.0.1):
// the protocol details a real server would not show — which requests go out
// with which headers, what happens when one block fails or the service is
// busy, broken answers, bounded upload concurrency — and the option checks.
// The store against a real server: azure_store_server_test.cc.
#include "store/azure_store.h"

#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/checksums.h"
#include "store_conformance.h"
#include "support/tree_builder.h"

using namespace coffer;
using namespace std::chrono_literals;

namespace {

constexpr char kKey[] =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr char kSas[] =
    "sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00%3A00%3A00Z&sig=SeCrEtSiG%2B%3D";

struct Seen {
  std::string method;
  std::string path;  // Decoded by the server.
  httplib::Params params;
  httplib::Headers headers;
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::string Param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? "" : it->second;
  }
};

// A Blob service that records every request and answers with `respond`.
class FakeAzure {
 public:
  using Responder = std::function<void(const Seen&, httplib::Response&)>;

  explicit FakeAzure(Responder respond) : respond_(std::move(respond)) {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      Seen seen{req.method, req.path, req.params, req.headers, req.body};
      {
        std::lock_guard lock(mu_);
        seen_.push_back(seen);
      }
      respond_(seen, res);
    };
    server_.Get(".*", handle);
    server_.Put(".*", handle);
    server_.Delete(".*", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) std::this_thread::sleep_for(10ms);
    REQUIRE(server_.is_running());
  }
  ~FakeAzure() {
    server_.stop();
    thread_.join();
  }

  std::string Endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/acct"; }
  std::vector<Seen> Requests() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  Responder respond_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

void Error(httplib::Response& res, int status, const std::string& code,
           const std::string& message) {
  res.status = status;
  res.set_header("x-ms-error-code", code);
  res.set_content("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code +
                      "</Code><Message>" + message + "</Message></Error>",
                  "application/xml");
}

AzureStoreOptions Options(const FakeAzure& fake) {
  AzureStoreOptions options;
  options.endpoint = fake.Endpoint();
  options.account = "acct";
  options.account_key = kKey;
  options.container = "c0ntainer";
  options.prefix = "pre/fix";
  return options;
}

std::unique_ptr<Store> Open(AzureStoreOptions options) {
  absl::StatusOr<std::unique_ptr<Store>> store = NewAzureStore(std::move(options));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

std::vector<Seen> WithComp(const std::vector<Seen>& all, const std::string& comp) {
  std::vector<Seen> out;
  for (const Seen& s : all)
    if (s.Param("comp") == comp) out.push_back(s);
  return out;
}

}  // namespace

TEST_CASE("azure store: Put Blob carries Content-MD5, the blob type and a Shared Key signature") {
  FakeAzure fake([](const Seen&, httplib::Response& res) { res.status = 201; });
  std::unique_ptr<Store> store = Open(Options(fake));
  CHECK(store->Describe() == "azure://c0ntainer/pre/fix (account acct)");
  COFFER_REQUIRE_OK(store->Put("names/with space+ü", AsBytes("hello")));
  COFFER_REQUIRE_OK(store->PutIfAbsent("keys/k1", AsBytes("key")));
  std::vector<Seen> seen = fake.Requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].method == "PUT");
  CHECK(seen[0].path == "/acct/c0ntainer/pre/fix/names/with space+ü");
  CHECK(seen[0].body == "hello");
  CHECK(seen[0].Header("Content-MD5") == Md5Base64(AsBytes("hello")));
  CHECK(seen[0].Header("x-ms-blob-type") == "BlockBlob");
  CHECK(seen[0].Header("x-ms-version") == kAzureApiVersion);
  CHECK_THAT(seen[0].Header("x-ms-date"), Catch::EndsWith(" GMT"));
  CHECK_THAT(seen[0].Header("Authorization"), Catch::StartsWith("SharedKey acct:"));
  CHECK(seen[0].Header("If-None-Match").empty());
  CHECK(seen[1].Header("If-None-Match") == "*");
}

TEST_CASE("azure store: with a SAS the token rides in the query and nothing is signed") {
  FakeAzure fake([](const Seen& s, httplib::Response& res) {
    if (s.method == "GET" && s.Param("comp") == "list") {
      res.set_content("<EnumerationResults><Blobs/></EnumerationResults>", "application/xml");
      return;
    }
    res.status = s.method == "PUT" ? 201 : 200;
  });
  AzureStoreOptions options = Options(fake);
  options.account_key.clear();
  options.sas_token = std::string("?") + kSas;
  std::unique_ptr<Store> store = Open(options);
  COFFER_REQUIRE_OK(store->Put("config", AsBytes("c")));
  COFFER_REQUIRE_OK(store->List("", [](const ObjectInfo&) { return absl::OkStatus(); }));
  for (const Seen& s : fake.Requests()) {
    INFO(s.method << " " << s.path);
    CHECK(s.Header("Authorization").empty());
    CHECK(s.Param("sig") == "SeCrEtSiG+=");
    CHECK(s.Param("sv") == "2021-08-06");
  }
  // The store's own parameters are kept beside the SAS's.
  std::vector<Seen> lists = WithComp(fake.Requests(), "list");
  REQUIRE(lists.size() == 1);
  CHECK(lists[0].Param("restype") == "container");
  CHECK(lists[0].Param("prefix") == "pre/fix/");
}

TEST_CASE("azure store: a large object goes up as blocks, then one Put Block List") {
  std::mutex mu;
  std::map<std::string, std::string> blocks;  // id -> body
  std::string committed_list;
  FakeAzure fake([&](const Seen& s, httplib::Response& res) {
    std::lock_guard lock(mu);
    if (s.Param("comp") == "block") blocks[s.Param("blockid")] = s.body;
    if (s.Param("comp") == "blocklist") committed_list = s.body;
    res.status = 201;
  });
  AzureStoreOptions options = Options(fake);
  options.single_put_threshold = 1000;
  options.block_size = 300;
  std::unique_ptr<Store> store = Open(options);
  Bytes data = testing::RandomBytes(1001, 7);  // 4 blocks: 300, 300, 300, 101.

  bool if_absent = false;
  SECTION("Put") { COFFER_REQUIRE_OK(store->Put("data/ff/pack", data)); }
  SECTION("PutIfAbsent") {
    if_absent = true;
    COFFER_REQUIRE_OK(store->PutIfAbsent("data/ff/pack", data));
  }

  std::vector<Seen> seen = fake.Requests();
  std::vector<Seen> puts = WithComp(seen, "block");
  std::vector<Seen> lists = WithComp(seen, "blocklist");
  REQUIRE(puts.size() == 4);
  REQUIRE(lists.size() == 1);
  CHECK(seen.back().Param("comp") == "blocklist");  // Committed last.
  for (const Seen& put : puts) {
    CHECK(put.Header("Content-MD5") == Md5Base64(AsBytes(put.body)));
    CHECK(put.Header("If-None-Match").empty());  // Only the commit is conditional.
    CHECK(put.Param("blockid").size() == puts[0].Param("blockid").size());
  }
  // The list commits the blocks in order, and they make up the object.
  std::string joined;
  size_t at = 0;
  while ((at = committed_list.find("<Latest>", at)) != std::string::npos) {
    size_t end = committed_list.find("</Latest>", at);
    joined += blocks.at(committed_list.substr(at + 8, end - at - 8));
    at = end;
  }
  CHECK(joined == ToString(data));
  CHECK(lists[0].Header("Content-MD5") == Md5Base64(AsBytes(lists[0].body)));
  CHECK(lists[0].Header("x-ms-blob-content-md5") == Md5Base64(data));
  CHECK(lists[0].Header("If-None-Match") == (if_absent ? "*" : ""));
}

TEST_CASE("azure store: when one block fails, no block list is committed") {
  std::atomic<int> block_puts{0};
  FakeAzure fake([&](const Seen& s, httplib::Response& res) {
    if (s.Param("comp") == "block" && ++block_puts == 3) {
      Error(res, 400, "Md5Mismatch", "The MD5 value specified in the request did not match.");
      return;
    }
    res.status = 201;
  });
  AzureStoreOptions options = Options(fake);
  options.single_put_threshold = 100;
  options.block_size = 100;
  options.upload_concurrency = 1;  // Deterministic: the third block fails.
  std::unique_ptr<Store> store = Open(options);
  absl::Status s = store->Put("data/ff/pack", testing::RandomBytes(1000, 1));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(s.message()),
             Catch::StartsWith(store->Describe() + ": object data/ff/pack: Put Block 3 of 10") &&
                 Catch::Contains("Md5Mismatch"));
  CHECK(WithComp(fake.Requests(), "blocklist").empty());
  CHECK(WithComp(fake.Requests(), "block").size() == 3);  // Stopped at the failure.
}

TEST_CASE("azure store: blocks go up in parallel, at most upload_concurrency at once") {
  std::atomic<int> running{0}, most{0};
  FakeAzure fake([&](const Seen& s, httplib::Response& res) {
    if (s.Param("comp") == "block") {
      int now = ++running;
      for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
      }
      std::this_thread::sleep_for(30ms);
      --running;
    }
    res.status = 201;
  });
  AzureStoreOptions options = Options(fake);
  options.single_put_threshold = 0;
  options.block_size = 10;
  options.upload_concurrency = 3;
  std::unique_ptr<Store> store = Open(options);
  COFFER_REQUIRE_OK(store->Put("data/ff/pack", testing::RandomBytes(120, 2)));
  CHECK(WithComp(fake.Requests(), "block").size() == 12);
  CHECK(most.load() == 3);
}

TEST_CASE("azure store: PutIfAbsent on an existing blob is AlreadyExists (409 or 412)") {
  int status = 0;
  std::string code;
  FakeAzure fake([&](const Seen&, httplib::Response& res) { Error(res, status, code, "exists"); });
  std::unique_ptr<Store> store = Open(Options(fake));
  for (auto [s, c] : {std::pair{409, "BlobAlreadyExists"}, std::pair{412, "ConditionNotMet"}}) {
    status = s;
    code = c;
    absl::Status result = store->PutIfAbsent("locks/l1", AsBytes("x"));
    INFO(result.ToString());
    CHECK(result.code() == absl::StatusCode::kAlreadyExists);
    CHECK_THAT(std::string(result.message()), Catch::Contains("locks/l1"));
  }
  // Another conflict (a lease) is not "already exists".
  status = 412;
  code = "LeaseIdMissing";
  CHECK(store->PutIfAbsent("locks/l1", AsBytes("x")).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("azure store: a busy or failing service is Unavailable, naming store and object") {
  FakeAzure fake([](const Seen& s, httplib::Response& res) {
    if (s.method == "GET")
      Error(res, 503, "ServerBusy", "The server is busy.");
    else
      Error(res, 500, "InternalError", "Oops.");
  });
  std::unique_ptr<Store> store = Open(Options(fake));
  for (const absl::Status& s :
       {store->Get("data/ab/x").status(), store->Put("data/ab/x", AsBytes("y")),
        store->Delete("data/ab/x")}) {
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnavailable);
    CHECK_THAT(std::string(s.message()),
               Catch::Contains(store->Describe()) && Catch::Contains("data/ab/x"));
  }
}

TEST_CASE("azure store: a transport failure is Unavailable and shows no SAS") {
  std::string endpoint;
  {
    FakeAzure fake([](const Seen&, httplib::Response& res) { res.status = 200; });
    endpoint = fake.Endpoint();
  }  // Stopped: the port refuses connections now.
  AzureStoreOptions options;
  options.endpoint = endpoint;
  options.container = "c0ntainer";
  options.sas_token = kSas;
  std::unique_ptr<Store> store = Open(options);
  absl::Status s = store->Get("config").status();
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(s.message()), Catch::Contains("config") && Catch::Contains("Get Blob"));
  CHECK(std::string(s.message()).find("SeCrEtSiG") == std::string::npos);
  // The account comes from the path-style endpoint.
  CHECK(store->Describe() == "azure://c0ntainer (account acct)");
}

TEST_CASE("azure store: a whole-object read that does not match its Content-MD5 is DataLoss") {
  FakeAzure fake([](const Seen&, httplib::Response& res) {
    res.set_header("Content-MD5", Md5Base64(AsBytes("original")));
    res.set_content("damaged!", "application/octet-stream");
  });
  std::unique_ptr<Store> store = Open(Options(fake));
  absl::Status s = store->Get("data/ab/pack").status();
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(s.message()), Catch::Contains("data/ab/pack"));
}

TEST_CASE("azure store: ranges ask for x-ms-range and check what comes back") {
  const std::string blob = "0123456789";
  FakeAzure fake([&](const Seen& s, httplib::Response& res) {
    std::string range = s.Header("x-ms-range");
    size_t first = std::stoul(range.substr(6));
    size_t last = std::stoul(range.substr(range.find('-') + 1));
    if (first >= blob.size()) return Error(res, 416, "InvalidRange", "bad range");
    last = std::min(last, blob.size() - 1);  // Azure answers a shorter range.
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) +
                                        "/" + std::to_string(blob.size()));
    res.set_content(blob.substr(first, last - first + 1), "application/octet-stream");
  });
  std::unique_ptr<Store> store = Open(Options(fake));
  absl::StatusOr<Bytes> got = store->GetRange("data/pack", 2, 5);
  REQUIRE(got.ok());
  CHECK(ToString(*got) == "23456");
  CHECK(fake.Requests().back().Header("x-ms-range") == "bytes=2-6");
  got = store->GetRange("data/pack", 8, 5);
  INFO(got.status().ToString());
  CHECK(got.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(got.status().message()),
             Catch::Contains("data/pack") && Catch::Contains("10-byte object"));
}

TEST_CASE("azure store: List follows NextMarker, asks for maxresults and strips the prefix") {
  FakeAzure fake([](const Seen& s, httplib::Response& res) {
    std::string marker = s.Param("marker");
    std::string next = marker.empty() ? "m1" : marker == "m1" ? "m2" : "";
    std::string blobs;
    for (int i = 0; i < 2; ++i) {
      std::string name =
          "pre/fix/index/" + (marker.empty() ? std::string("a") : marker) + std::to_string(i);
      blobs += "<Blob><Name>" + name + "</Name><Properties><Content-Length>" + std::to_string(i) +
               "</Content-Length></Properties></Blob>";
    }
    // Not objects: a directory marker and a name outside the prefix.
    blobs +=
        "<Blob><Name>pre/fix/index/dir/</Name><Properties><Content-Length>0"
        "</Content-Length></Properties></Blob>";
    res.set_content("<EnumerationResults><Blobs>" + blobs + "</Blobs><NextMarker>" + next +
                        "</NextMarker></EnumerationResults>",
                    "application/xml");
  });
  AzureStoreOptions options = Options(fake);
  options.list_page_size = 2;
  std::unique_ptr<Store> store = Open(options);
  std::vector<std::string> names;
  COFFER_REQUIRE_OK(store->List("index/", [&](const ObjectInfo& info) {
    names.push_back(info.name + ":" + std::to_string(info.size));
    return absl::OkStatus();
  }));
  CHECK(names == std::vector<std::string>{"index/a0:0", "index/a1:1", "index/m10:0", "index/m11:1",
                                          "index/m20:0", "index/m21:1"});
  std::vector<Seen> seen = fake.Requests();
  REQUIRE(seen.size() == 3);
  for (const Seen& s : seen) {
    CHECK(s.Param("prefix") == "pre/fix/index/");
    CHECK(s.Param("maxresults") == "2");
  }
  CHECK(seen[1].Param("marker") == "m1");
  CHECK(seen[2].Param("marker") == "m2");
}

TEST_CASE("azure store: a broken List answer is a clear error, not a crash or a loop") {
  std::string answer;
  FakeAzure fake(
      [&](const Seen&, httplib::Response& res) { res.set_content(answer, "application/xml"); });
  std::unique_ptr<Store> store = Open(Options(fake));
  auto list = [&] { return store->List("", [](const ObjectInfo&) { return absl::OkStatus(); }); };
  for (std::string bad : {"<html>Login required</html>", "<EnumerationResults><Blobs><Blob>",
                          "<EnumerationResults><Blobs><Blob><Name>x</Name></Blob></Blobs>"
                          "</EnumerationResults>"}) {
    answer = bad;
    absl::Status s = list();
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kDataLoss);
    CHECK_THAT(std::string(s.message()),
               Catch::Contains(store->Describe()) && Catch::Contains("List Blobs"));
  }
  // A marker that never advances would page forever.
  answer = "<EnumerationResults><Blobs/><NextMarker>same</NextMarker></EnumerationResults>";
  absl::Status s = list();
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK_THAT(std::string(s.message()), Catch::Contains("NextMarker"));
}

TEST_CASE("azure store: a rejected Shared Key is Unauthenticated and scrubbed of secrets") {
  FakeAzure fake([](const Seen& s, httplib::Response& res) {
    // A server quoting the request's Authorization and the key back.
    Error(res, 403, "AuthenticationFailed",
          "Signature did not match: " + s.Header("Authorization") + " key " + kKey);
  });
  std::unique_ptr<Store> store = Open(Options(fake));
  absl::Status s = store->Get("config").status();
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(std::string(s.message()),
             Catch::StartsWith("Azure rejected the credentials for store "
                               "azure://c0ntainer/pre/fix (account acct): AuthenticationFailed"));
  const std::string signature =
      fake.Requests().back().Header("Authorization").substr(std::string("SharedKey acct:").size());
  REQUIRE(!signature.empty());
  CHECK(std::string(s.message()).find(signature) == std::string::npos);
  CHECK(std::string(s.message()).find(kKey) == std::string::npos);
}

TEST_CASE("azure store: names Azure would alias are InvalidArgument, and nothing is sent") {
  FakeAzure fake([](const Seen&, httplib::Response& res) { res.status = 201; });
  std::unique_ptr<Store> store = Open(Options(fake));
  for (const char* name : {"a\\b", "dir./x", "x.", "../x", ""}) {
    absl::Status s = store->Put(name, AsBytes("x"));
    INFO(name << ": " << s.ToString());
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(store->Put(std::string(1100, 'n'), AsBytes("x")).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fake.Requests().empty());
}

TEST_CASE("azure store: options that cannot work are refused up front") {
  AzureStoreOptions good;
  good.endpoint = "https://acct.blob.core.windows.net";
  good.account = "acct";
  good.account_key = kKey;
  good.container = "c0ntainer";
  REQUIRE(NewAzureStore(good).ok());
  auto error = [](AzureStoreOptions o) {
    absl::StatusOr<std::unique_ptr<Store>> store = NewAzureStore(std::move(o));
    REQUIRE_FALSE(store.ok());
    CHECK(store.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(store.status().message()).find(kKey) == std::string::npos);
    return std::string(store.status().message());
  };
  AzureStoreOptions o = good;
  o.block_size = 0;
  CHECK_THAT(error(o), Catch::Contains("block_size"));
  o = good;
  o.block_size = 4001ull << 20;
  CHECK_THAT(error(o), Catch::Contains("block_size"));
  o = good;
  o.single_put_threshold = 5001ull << 20;
  CHECK_THAT(error(o), Catch::Contains("single_put_threshold"));
  o = good;
  o.upload_concurrency = 0;
  CHECK_THAT(error(o), Catch::Contains("upload_concurrency"));
  o = good;
  o.list_page_size = 5001;
  CHECK_THAT(error(o), Catch::Contains("list_page_size"));
  o = good;
  o.container = "Bad";
  CHECK_THAT(error(o), Catch::Contains("container name"));
  o = good;
  o.prefix = "a//b";
  CHECK_THAT(error(o), Catch::Contains("prefix"));
  o = good;
  o.endpoint = "ftp://x";
  CHECK_THAT(error(o), Catch::Contains("endpoint"));
  o = good;
  o.account_key = std::string(kKey).substr(2);
  CHECK_THAT(error(o), Catch::Contains("not a valid account key"));
  o = good;
  o.account_key.clear();
  CHECK_THAT(error(o), Catch::Contains("no credential"));
  o = good;
  o.account.clear();
  o.endpoint = "https://blobs.example.com";
  CHECK_THAT(error(o), Catch::Contains("account name"));
  o = good;
  o.account_key.clear();
  o.sas_token = "sp=r&se=2030";
  CHECK_THAT(error(o), Catch::Contains("not a SAS token"));
}

TEST_CASE("azure store: Prepare creates the container and accepts one that exists") {
  int status = 201;
  FakeAzure fake([&](const Seen& s, httplib::Response& res) {
    if (s.Param("comp") == "list") {
      res.set_content("<EnumerationResults><Blobs/></EnumerationResults>", "application/xml");
      return;
    }
    if (status == 201)
      res.status = 201;
    else if (status == 409)
      Error(res, 409, "ContainerAlreadyExists", "exists");
    else
      Error(res, 403, "AuthorizationResourceTypeMismatch", "no container rights");
  });
  std::unique_ptr<Store> store = Open(Options(fake));
  for (int s : {201, 409, 403}) {
    status = s;
    INFO("status " << s);
    COFFER_REQUIRE_OK(store->Prepare());
  }
  std::vector<Seen> seen = fake.Requests();
  CHECK(seen[0].method == "PUT");
  CHECK(seen[0].path == "/acct/c0ntainer");
  CHECK(seen[0].Param("restype") == "container");
  // The 403 was followed by a check that the container is there.
  CHECK(seen.back().Param("comp") == "list");
}
