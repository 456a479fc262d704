// azure:// locations and credentials from the environment: what is accepted,
// and that every refusal names the part or variable at fault without quoting
// a secret.
#include "store/azure_location.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

using namespace coffer;

namespace {

constexpr char kKey[] =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr char kSas[] =
    "sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00%3A00%3A00Z&spr=https&"
    "sig=SECRETSIGNATUREvalue%2Bxyz%3D";
constexpr char kSecretSig[] = "SECRETSIGNATUREvalue";

using Env = std::map<std::string, std::string>;

AzureEnvLookup Lookup(const Env& env) {
  return [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

AzureStoreOptions Resolve(std::string_view rest, const Env& env) {
  absl::StatusOr<AzureStoreOptions> options = ResolveAzureLocation(rest, Lookup(env));
  INFO(options.status().ToString());
  REQUIRE(options.ok());
  return *options;
}

// The error for `rest` with `env`; checks it is InvalidArgument without secrets.
std::string ResolveError(std::string_view rest, const Env& env) {
  absl::StatusOr<AzureStoreOptions> options = ResolveAzureLocation(rest, Lookup(env));
  REQUIRE_FALSE(options.ok());
  std::string message(options.status().message());
  INFO(message);
  CHECK(options.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(message.find(kKey) == std::string::npos);
  CHECK(message.find(std::string(kKey).substr(10, 20)) == std::string::npos);
  CHECK(message.find(kSecretSig) == std::string::npos);
  return message;
}

const Env kKeyEnv = {{"AZURE_STORAGE_ACCOUNT", "myaccount"}, {"AZURE_STORAGE_KEY", kKey}};

}  // namespace

TEST_CASE("azure location: container and prefix from the URL") {
  AzureStoreOptions o = Resolve("backups/host1/daily", kKeyEnv);
  CHECK(o.container == "backups");
  CHECK(o.prefix == "host1/daily");
  CHECK(Resolve("backups/host1/", kKeyEnv).prefix == "host1");
  CHECK(Resolve("backups", kKeyEnv).prefix.empty());
  CHECK(Resolve("backups/", kKeyEnv).prefix.empty());
  CHECK(Resolve("a-b-1/x", kKeyEnv).container == "a-b-1");
  CHECK(Resolve(std::string(63, 'c'), kKeyEnv).container == std::string(63, 'c'));
  // Taken literally: no %-decoding.
  CHECK(Resolve("c0ntainer/my%20backups", kKeyEnv).prefix == "my%20backups");
}

TEST_CASE("azure location: a malformed URL says which part is wrong") {
  CHECK_THAT(ResolveError("", kKeyEnv),
             Catch::Contains("no container") && Catch::Contains("azure://CONTAINER[/PREFIX]"));
  CHECK_THAT(ResolveError("/prefix", kKeyEnv), Catch::Contains("no container"));
  CHECK_THAT(ResolveError("ab/x", kKeyEnv),
             Catch::Contains("container name \"ab\"") && Catch::Contains("3-63"));
  CHECK_THAT(ResolveError(std::string(64, 'c'), kKeyEnv), Catch::Contains("3-63"));
  CHECK_THAT(ResolveError("Backups/x", kKeyEnv),
             Catch::Contains("\"Backups\"") && Catch::Contains("lower-case"));
  CHECK_THAT(ResolveError("my_backups", kKeyEnv), Catch::Contains("lower-case"));
  CHECK_THAT(ResolveError("-backups", kKeyEnv), Catch::Contains("start and end"));
  CHECK_THAT(ResolveError("backups-", kKeyEnv), Catch::Contains("start and end"));
  CHECK_THAT(ResolveError("back--ups", kKeyEnv), Catch::Contains("'--'"));
  CHECK_THAT(ResolveError("backups//", kKeyEnv), Catch::Contains("prefix is empty"));
  CHECK_THAT(ResolveError("backups/a//b", kKeyEnv), Catch::Contains("prefix \"a//b\""));
  CHECK_THAT(ResolveError("backups/../x", kKeyEnv), Catch::Contains("prefix"));
  CHECK_THAT(ResolveError("backups/a\\b", kKeyEnv), Catch::Contains("'\\'"));
  CHECK_THAT(ResolveError("backups/dir./x", kKeyEnv), Catch::Contains("trailing dots"));
  // A SAS pasted into the URL is refused without being echoed.
  CHECK_THAT(ResolveError(std::string("backups/x?") + kSas, kKeyEnv),
             Catch::Contains("query string") && Catch::Contains("AZURE_STORAGE_SAS_TOKEN"));
}

TEST_CASE("azure location: AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or a SAS token") {
  AzureStoreOptions o = Resolve("c0ntainer", kKeyEnv);
  CHECK(o.account == "myaccount");
  CHECK(o.account_key == kKey);
  CHECK(o.sas_token.empty());
  CHECK(o.endpoint == "https://myaccount.blob.core.windows.net");

  for (std::string sas :
       {std::string(kSas), "?" + std::string(kSas), " ?" + std::string(kSas) + "\n"}) {
    o = Resolve("c0ntainer",
                {{"AZURE_STORAGE_ACCOUNT", "myaccount"}, {"AZURE_STORAGE_SAS_TOKEN", sas}});
    CHECK(o.sas_token == kSas);  // Without '?' and white space.
    CHECK(o.account_key.empty());
  }
  // Both: the key wins.
  o = Resolve("c0ntainer", {{"AZURE_STORAGE_ACCOUNT", "myaccount"},
                            {"AZURE_STORAGE_KEY", kKey},
                            {"AZURE_STORAGE_SAS_TOKEN", kSas}});
  CHECK(o.account_key == kKey);
  CHECK(o.sas_token.empty());
}

TEST_CASE("azure location: missing or malformed credentials name the variable expected") {
  CHECK_THAT(ResolveError("c0ntainer", {}), Catch::Contains("AZURE_STORAGE_CONNECTION_STRING") &&
                                                Catch::Contains("AZURE_STORAGE_ACCOUNT") &&
                                                Catch::Contains("AZURE_STORAGE_KEY") &&
                                                Catch::Contains("AZURE_STORAGE_SAS_TOKEN"));
  CHECK_THAT(ResolveError("c0ntainer", {{"AZURE_STORAGE_KEY", kKey}}),
             Catch::Contains("AZURE_STORAGE_KEY is set but AZURE_STORAGE_ACCOUNT"));
  CHECK_THAT(ResolveError("c0ntainer", {{"AZURE_STORAGE_SAS_TOKEN", kSas}}),
             Catch::Contains("AZURE_STORAGE_SAS_TOKEN is set but AZURE_STORAGE_ACCOUNT"));
  CHECK_THAT(
      ResolveError("c0ntainer", {{"AZURE_STORAGE_ACCOUNT", "myaccount"}}),
      Catch::Contains("neither AZURE_STORAGE_KEY") && Catch::Contains("AZURE_STORAGE_SAS_TOKEN"));
  CHECK_THAT(ResolveError("c0ntainer",
                          {{"AZURE_STORAGE_ACCOUNT", "My_Account"}, {"AZURE_STORAGE_KEY", kKey}}),
             Catch::Contains("AZURE_STORAGE_ACCOUNT") && Catch::Contains("\"My_Account\""));
  // A key that is not base64 (a typo, or a truncated paste).
  for (std::string bad : {std::string(kKey).substr(0, 50) + "!!", std::string(kKey).substr(1),
                          std::string("not a key at all")})
    CHECK_THAT(ResolveError("c0ntainer",
                            {{"AZURE_STORAGE_ACCOUNT", "myaccount"}, {"AZURE_STORAGE_KEY", bad}}),
               Catch::Contains("AZURE_STORAGE_KEY is not a valid account key") &&
                   Catch::Contains("base64"));
  // A SAS without a signature, or not a query string.
  for (std::string bad :
       {std::string("sv=2021-08-06&sp=r"), std::string("SECRETSIGNATUREvalue"), std::string("?")})
    CHECK_THAT(ResolveError("c0ntainer", {{"AZURE_STORAGE_ACCOUNT", "myaccount"},
                                          {"AZURE_STORAGE_SAS_TOKEN", bad}}),
               Catch::Contains("AZURE_STORAGE_SAS_TOKEN is not a SAS token"));
}

TEST_CASE("azure location: a connection string with a key, a SAS, or a custom endpoint") {
  SECTION("the portal's form: protocol, account, key, suffix") {
    AzureStoreOptions o =
        Resolve("c0ntainer/p", {{"AZURE_STORAGE_CONNECTION_STRING",
                                 std::string("DefaultEndpointsProtocol=https;AccountName=myaccount;"
                                             "AccountKey=") +
                                     kKey + ";EndpointSuffix=core.chinacloudapi.cn"}});
    CHECK(o.endpoint == "https://myaccount.blob.core.chinacloudapi.cn");
    CHECK(o.account == "myaccount");
    CHECK(o.account_key == kKey);
    CHECK(o.container == "c0ntainer");
    CHECK(o.prefix == "p");
  }
  SECTION("Azurite's form: a path-style BlobEndpoint over http") {
    AzureStoreOptions o = Resolve(
        "c0ntainer", {{"AZURE_STORAGE_CONNECTION_STRING",
                       std::string("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                                   "AccountKey=") +
                           kKey + ";BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"}});
    CHECK(o.endpoint == "http://127.0.0.1:10000/devstoreaccount1");
    CHECK(o.account == "devstoreaccount1");
  }
  SECTION("a SAS connection string (keys in any case, other services ignored)") {
    AzureStoreOptions o =
        Resolve("c0ntainer", {{"AZURE_STORAGE_CONNECTION_STRING",
                               std::string("blobendpoint=https://acct.blob.core.windows.net/;"
                                           "QueueEndpoint=https://acct.queue.core.windows.net/;"
                                           " SharedAccessSignature = ") +
                                   kSas}});
    CHECK(o.endpoint == "https://acct.blob.core.windows.net/");
    CHECK(o.sas_token == kSas);
    CHECK(o.account_key.empty());
  }
  SECTION("defaults: https and core.windows.net") {
    AzureStoreOptions o = Resolve(
        "c0ntainer",
        {{"AZURE_STORAGE_CONNECTION_STRING", std::string("AccountName=acct;AccountKey=") + kKey}});
    CHECK(o.endpoint == "https://acct.blob.core.windows.net");
  }
  SECTION("UseDevelopmentStorage=true is Azurite on 127.0.0.1:10000") {
    AzureStoreOptions o =
        Resolve("c0ntainer", {{"AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"}});
    CHECK(o.endpoint == "http://127.0.0.1:10000/devstoreaccount1");
    CHECK(o.account == "devstoreaccount1");
    CHECK(!o.account_key.empty());
  }
  SECTION("the connection string is used alone, even with the other variables set") {
    Env env = kKeyEnv;
    env["AZURE_STORAGE_CONNECTION_STRING"] = std::string("AccountName=other;AccountKey=") + kKey;
    CHECK(Resolve("c0ntainer", env).account == "other");
  }
}

TEST_CASE("azure location: a malformed connection string says what is wrong, not the secret") {
  auto error = [](std::string cs) {
    return ResolveError("c0ntainer", {{"AZURE_STORAGE_CONNECTION_STRING", cs}});
  };
  const std::string key = std::string("AccountKey=") + kKey;
  CHECK_THAT(error("AccountName=acct;" + std::string(kKey).substr(0, 86)),
             Catch::Contains("segment 2 is not Key=Value"));
  // A key split by a stray ';' ends in "==": an unknown key, not quoted.
  CHECK_THAT(error("AccountName=acct;" + std::string(kKey)),
             Catch::Contains("segment 2 has an unknown key"));
  CHECK_THAT(error("AccountName=acct;AccountName=other;" + key), Catch::Contains("appears twice"));
  CHECK_THAT(error("DefaultEndpointsProtocol=ftp;AccountName=acct;" + key),
             Catch::Contains("DefaultEndpointsProtocol must be http or https"));
  CHECK_THAT(error("AccountName=acct;AcountKey=" + std::string(kKey)),
             Catch::Contains("segment 2 has an unknown key"));
  CHECK_THAT(error("AccountName=acct"),
             Catch::Contains("neither AccountKey nor SharedAccessSignature"));
  CHECK_THAT(error(key), Catch::Contains("neither AccountName nor BlobEndpoint"));
  CHECK_THAT(error("BlobEndpoint=http://127.0.0.1:1/x;" + key),
             Catch::Contains("AccountKey but no AccountName"));
  CHECK_THAT(error("AccountName=acct;AccountKey=" + std::string(kKey).substr(3)),
             Catch::Contains("AccountKey is not a valid account key"));
  CHECK_THAT(error("AccountName=acct;SharedAccessSignature=SECRETSIGNATUREvalue"),
             Catch::Contains("SharedAccessSignature is not a SAS token"));
  CHECK_THAT(error("AccountName=acct;BlobEndpoint=ftp://x/y;" + key),
             Catch::Contains("BlobEndpoint") && Catch::Contains("http or https"));
  CHECK_THAT(error("AccountName=acct;BlobEndpoint=https://host/?" + std::string(kSas) + ";" + key),
             Catch::Contains("query"));
  CHECK_THAT(error("AccountName=acct;BlobEndpoint=https://user:pw@host/;" + key),
             Catch::Contains("user info"));
  CHECK_THAT(error("UseDevelopmentStorage=yes"), Catch::Contains("UseDevelopmentStorage"));
  CHECK_THAT(error("UseDevelopmentStorage=true;" + key + ";AccountName=acct"),
             Catch::Contains("cannot be combined"));
  CHECK_THAT(error("AccountName=Bad_Name;" + key), Catch::Contains("storage account name"));
}

TEST_CASE("azure endpoints split into origin and base path") {
  absl::StatusOr<AzureEndpoint> e =
      ParseAzureEndpoint("http://127.0.0.1:10000/devstoreaccount1/", "x");
  REQUIRE(e.ok());
  CHECK(e->origin == "http://127.0.0.1:10000");
  CHECK(e->base_path == "/devstoreaccount1");
  CHECK(AzureAccountFromEndpoint(*e) == "devstoreaccount1");
  e = ParseAzureEndpoint("HTTPS://acct.blob.core.windows.net", "x");
  REQUIRE(e.ok());
  CHECK(e->origin == "https://acct.blob.core.windows.net");
  CHECK(e->base_path.empty());
  CHECK(AzureAccountFromEndpoint(*e) == "acct");
  e = ParseAzureEndpoint("https://blobs.example.com", "x");
  REQUIRE(e.ok());
  CHECK(AzureAccountFromEndpoint(*e).empty());
  for (const char* bad : {"", "acct.blob.core.windows.net", "https://", "https:///path",
                          "file:///tmp", "https://h/p?x=1", "https://h/p#f", "https://u@h/"}) {
    INFO(bad);
    CHECK(ParseAzureEndpoint(bad, "x").status().code() == absl::StatusCode::kInvalidArgument);
  }
}
