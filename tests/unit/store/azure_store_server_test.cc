// The Azure store against a real Blob service: Azurite, started on 127.0.0.1
// by tests/servers/with_servers.py, which sets AZURE_STORAGE_CONNECTION_STRING
// and COFFER_TEST_AZURE_URL / _ENDPOINT / _ACCOUNT / _KEY. Tagged [server]
// (excluded from the normal run); run by the ctest test
// "store: azure against a real server". Missing variables fail the test:
// a server test never skips itself.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "absl/time/clock.h"
#include "azure_test_sas.h"
#include "base/base64.h"
#include "store/azure_store.h"
#include "store_conformance.h"
#include "support/tree_builder.h"

using namespace coffer;

namespace {

constexpr std::string_view kContainer = "coffer-test";

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  INFO(name << " is not set: run through tests/servers/with_servers.py azure");
  REQUIRE(value != nullptr);
  REQUIRE(*value != '\0');
  return value;
}

// A name no earlier run or other test case uses.
std::string Unique(std::string_view what) {
  static std::atomic<int> counter{0};
  return std::string(what) + "-" + std::to_string(absl::ToUnixMicros(absl::Now())) + "-" +
         std::to_string(counter++);
}

AzureStoreOptions ServerOptions(std::string container = std::string(kContainer)) {
  AzureStoreOptions options;
  options.endpoint = RequireEnv("COFFER_TEST_AZURE_ENDPOINT");
  options.account = RequireEnv("COFFER_TEST_AZURE_ACCOUNT");
  options.account_key = RequireEnv("COFFER_TEST_AZURE_KEY");
  options.container = std::move(container);
  options.prefix = Unique("t");
  return options;
}

std::unique_ptr<Store> MustCreate(AzureStoreOptions options) {
  absl::StatusOr<std::unique_ptr<Store>> store = NewAzureStore(std::move(options));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

// Options with the account key on a fresh prefix of the shared test
// container, which exists afterwards (test cases run in any order).
AzureStoreOptions PreparedOptions() {
  AzureStoreOptions options = ServerOptions();
  COFFER_REQUIRE_OK(MustCreate(options)->Prepare());
  return options;
}

std::string DevSas(std::string permissions = "rwdlac") {
  testing::AzureSasRequest request;
  request.account = RequireEnv("COFFER_TEST_AZURE_ACCOUNT");
  request.key_base64 = RequireEnv("COFFER_TEST_AZURE_KEY");
  request.permissions = std::move(permissions);
  return testing::MakeAzureAccountSas(request);
}

// The message must name the store and carry none of the secrets.
void CheckNamesStoreWithoutSecrets(const absl::Status& s, const Store& store,
                                   const std::vector<std::string>& secrets) {
  INFO(s.ToString());
  CHECK_THAT(std::string(s.message()), Catch::Contains(store.Describe()));
  for (const std::string& secret : secrets)
    CHECK(std::string(s.message()).find(secret) == std::string::npos);
}

std::string SigOf(std::string_view sas) {
  size_t at = sas.find("sig=");
  REQUIRE(at != std::string_view::npos);
  return std::string(sas.substr(at + 4));
}

}  // namespace

TEST_CASE("azure store keeps the Store contract on Azurite, opened from the environment",
          "[server][azure]") {
  const std::string url = RequireEnv("COFFER_TEST_AZURE_URL");
  REQUIRE(url.starts_with("azure://"));
  coffer::testing::StoreConformanceOptions options;
  // Large enough for many Put Blocks (8 MiB each, 4 at a time) and one Put Block List.
  options.large_object_bytes = 300ull << 20;
  coffer::testing::RunStoreConformance(
      [&] {
        absl::StatusOr<std::unique_ptr<Store>> store =
            OpenAzureLocation(url.substr(8) + "/" + Unique("conformance"));
        INFO(store.status().ToString());
        REQUIRE(store.ok());
        COFFER_REQUIRE_OK((*store)->Prepare());
        return std::move(*store);
      },
      options);
}

TEST_CASE("azure store keeps the Store contract with a SAS, small list pages and all-block uploads",
          "[server][azure]") {
  const std::string sas = DevSas();
  coffer::testing::StoreConformanceOptions options;
  options.large_object_bytes = 24ull << 20;
  coffer::testing::RunStoreConformance(
      [&] {
        AzureStoreOptions store_options = ServerOptions();
        store_options.account_key.clear();
        store_options.sas_token = "?" + sas;
        store_options.list_page_size = 97;       // 1500 objects: 16 pages.
        store_options.single_put_threshold = 0;  // Every non-empty object in blocks.
        store_options.block_size = 1 << 20;
        std::unique_ptr<Store> store = MustCreate(std::move(store_options));
        COFFER_REQUIRE_OK(store->Prepare());
        return store;
      },
      options);
}

TEST_CASE("azure store: Azurite accepts the test's SAS and rejects a tampered one",
          "[server][azure]") {
  const std::string sas = DevSas();
  AzureStoreOptions options = PreparedOptions();
  options.account_key.clear();
  options.sas_token = sas;
  std::unique_ptr<Store> good = MustCreate(options);
  COFFER_REQUIRE_OK(good->Put("config", AsBytes("signed")));
  CHECK(ToString(*good->Get("config")) == "signed");

  // Flip one character of the signature (before its %-escapes).
  std::string tampered = sas;
  size_t at = tampered.find("sig=") + 4;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  options.sas_token = tampered;
  std::unique_ptr<Store> bad = MustCreate(options);
  for (const absl::Status& s :
       {bad->Put("config", AsBytes("forged")), bad->Get("config").status(),
        bad->Stat("config").status(), bad->Delete("config"),
        bad->List("", [](const ObjectInfo&) { return absl::OkStatus(); })}) {
    INFO(s.ToString());
    CHECK((s.code() == absl::StatusCode::kUnauthenticated ||
           s.code() == absl::StatusCode::kPermissionDenied));
    CheckNamesStoreWithoutSecrets(s, *bad, {SigOf(sas), SigOf(tampered)});
  }
  CHECK(ToString(*good->Get("config")) == "signed");
}

TEST_CASE("azure store: a read-only SAS reads but cannot write (PermissionDenied)",
          "[server][azure]") {
  AzureStoreOptions writer_options = PreparedOptions();
  std::unique_ptr<Store> writer = MustCreate(writer_options);
  COFFER_REQUIRE_OK(writer->Put("config", AsBytes("c")));
  AzureStoreOptions reader_options = writer_options;
  reader_options.account_key.clear();
  reader_options.sas_token = DevSas("rl");
  std::unique_ptr<Store> reader = MustCreate(reader_options);
  CHECK(ToString(*reader->Get("config")) == "c");
  absl::Status s = reader->Put("keys/k1", AsBytes("k"));
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(s.message()), Catch::Contains("keys/k1"));
  CheckNamesStoreWithoutSecrets(s, *reader, {SigOf(reader_options.sas_token)});
}

TEST_CASE("azure store: a wrong account key is Unauthenticated, naming the store, never the key",
          "[server][azure]") {
  AzureStoreOptions options = ServerOptions();
  Bytes wrong = coffer::testing::RandomBytes(64, 99);
  options.account_key = Base64Encode(wrong);
  std::unique_ptr<Store> store = MustCreate(options);
  for (const absl::Status& s : {store->Put("config", AsBytes("x")), store->Get("config").status(),
                                store->Stat("config").status(), store->Prepare()}) {
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnauthenticated);
    CHECK_THAT(std::string(s.message()),
               Catch::StartsWith("Azure rejected the credentials for store azure://coffer-test/" +
                                 options.prefix + " (account devstoreaccount1)"));
    CheckNamesStoreWithoutSecrets(s, *store, {options.account_key});
  }
}

TEST_CASE("azure store: Prepare creates a new container and accepts an existing one",
          "[server][azure]") {
  AzureStoreOptions options = ServerOptions(Unique("prep"));
  std::unique_ptr<Store> store = MustCreate(options);
  absl::Status before = store->Put("config", AsBytes("x"));
  INFO(before.ToString());
  CHECK(before.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(before.message()), Catch::Contains(options.container));
  CHECK_THAT(std::string(before.message()), Catch::Contains("coffer init"));
  COFFER_REQUIRE_OK(store->Prepare());
  COFFER_REQUIRE_OK(store->Prepare());
  COFFER_REQUIRE_OK(store->Put("config", AsBytes("x")));
  // A new store object on the same container: still fine, content kept.
  std::unique_ptr<Store> again = MustCreate(options);
  COFFER_REQUIRE_OK(again->Prepare());
  CHECK(ToString(*again->Get("config")) == "x");
}

TEST_CASE("azure store: Prepare with a container SAS that may not create containers",
          "[server][azure]") {
  AzureStoreOptions options = PreparedOptions();
  testing::AzureSasRequest request;
  request.account = options.account;
  request.key_base64 = options.account_key;
  options.account_key.clear();
  options.sas_token = testing::MakeAzureContainerSas(request, options.container);
  std::unique_ptr<Store> store = MustCreate(options);
  COFFER_REQUIRE_OK(store->Prepare());
  COFFER_REQUIRE_OK(store->Put("config", AsBytes("via container SAS")));
  CHECK(ToString(*store->Get("config")) == "via container SAS");
}
