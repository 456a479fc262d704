// s3://BUCKET/PREFIX parsing and the credential / region / endpoint /
// addressing lookup from the environment and the AWS shared files. The
// environment is a map here, and the files live in a temporary directory
// reached through HOME or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE.
#include "store/s3_location.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "store/aws_shared_config.h"
#include "store_conformance.h"
#include "support/temp_dir.h"

using namespace coffer;

namespace {

using Env = std::map<std::string, std::string>;

EnvLookup Lookup(const Env& env) {
  return [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

void Write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

S3StoreOptions MustResolve(std::string_view rest, const Env& env) {
  absl::StatusOr<S3StoreOptions> options = ResolveS3StoreOptions(rest, Lookup(env));
  INFO(options.status().ToString());
  REQUIRE(options.ok());
  return *options;
}

absl::Status ResolveError(std::string_view rest, const Env& env) {
  absl::StatusOr<S3StoreOptions> options = ResolveS3StoreOptions(rest, Lookup(env));
  REQUIRE_FALSE(options.ok());
  return options.status();
}

std::string Message(const absl::Status& s) { return std::string(s.message()); }

const Env kEnvCredentials = {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                             {"AWS_SECRET_ACCESS_KEY", "env-secret-Yx81"}};

Env With(Env env, const Env& more) {
  for (const auto& [k, v] : more) env[k] = v;
  return env;
}

}  // namespace

TEST_CASE("s3:// locations split into bucket and prefix") {
  struct Case {
    std::string rest, bucket, prefix;
  };
  for (const Case& c : {Case{"bucket", "bucket", ""}, Case{"bucket/", "bucket", ""},
                        Case{"my-bucket.2/a", "my-bucket.2", "a"},
                        Case{"bkt/some/deep/prefix", "bkt", "some/deep/prefix"},
                        Case{"bkt/some/prefix/", "bkt", "some/prefix"},
                        Case{"bkt/with space/ü", "bkt", "with space/ü"}}) {
    INFO(c.rest);
    absl::StatusOr<S3Location> location = ParseS3Location(c.rest);
    INFO(location.status().ToString());
    REQUIRE(location.ok());
    CHECK(location->bucket == c.bucket);
    CHECK(location->prefix == c.prefix);
  }
}

TEST_CASE("malformed s3:// locations are InvalidArgument saying which part is wrong") {
  struct Case {
    std::string rest, says;
  };
  for (const Case& c :
       {Case{"", "names no bucket"}, Case{"/prefix", "names no bucket"},
        Case{"ab", "3 to 63 characters"}, Case{std::string(64, 'a'), "3 to 63 characters"},
        Case{"My-Bucket/x", "upper-case"}, Case{"bucket_name", "only lower-case letters, digits"},
        Case{"-bucket", "start and end with a letter or digit"},
        Case{"bucket-", "start and end with a letter or digit"},
        Case{"a..b", "\"..\" is not allowed"}, Case{"192.168.1.10", "IP address"},
        Case{"bucket//x", "empty component"}, Case{"bucket/a//b", "empty component"},
        Case{"bucket/a/../b", "\"..\" components"}, Case{"bucket/./b", "\".\" and \"..\""},
        Case{"bucket/x?versionId=1", "query"}, Case{"bucket/x#frag", "fragment"}}) {
    INFO("s3://" << c.rest);
    absl::StatusOr<S3Location> location = ParseS3Location(c.rest);
    REQUIRE_FALSE(location.ok());
    INFO(location.status().ToString());
    CHECK(location.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(location.status()), Catch::Contains(c.says));
    CHECK_THAT(Message(location.status()), Catch::Contains("s3://BUCKET"));
  }
}

TEST_CASE("credentials written into an s3:// location are refused without being echoed") {
  for (std::string rest : {"AKIDX:very-secret-Q9@bucket/prefix", "user:very-secret-Q9@bucket"}) {
    absl::StatusOr<S3Location> location = ParseS3Location(rest);
    REQUIRE_FALSE(location.ok());
    INFO(location.status().ToString());
    CHECK(location.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(location.status()), Catch::Contains("AWS_ACCESS_KEY_ID"));
    CHECK_THAT(Message(location.status()), !Catch::Contains("very-secret"));
  }
}

TEST_CASE("S3 credentials come from the environment first") {
  S3StoreOptions options = MustResolve(
      "bucket/p", With(kEnvCredentials, {{"AWS_SESSION_TOKEN", "tok"}, {"HOME", "/nonexistent"}}));
  CHECK(options.bucket == "bucket");
  CHECK(options.prefix == "p");
  CHECK(options.credentials.access_key_id == "AKIDENV");
  CHECK(options.credentials.secret_access_key == "env-secret-Yx81");
  CHECK(options.credentials.session_token == "tok");
  CHECK_THAT(options.credential_source, Catch::Contains("environment"));
  CHECK(options.region == "us-east-1");
  CHECK(options.endpoint.empty());
  CHECK(options.addressing == S3AddressingStyle::kAuto);
}

TEST_CASE("a half-set credential pair in the environment is Unauthenticated naming the gap") {
  absl::Status s = ResolveError("bucket", {{"AWS_ACCESS_KEY_ID", "AKID"}});
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(s), Catch::Contains("AWS_SECRET_ACCESS_KEY is not"));
  CHECK_THAT(Message(s), Catch::Contains("s3://bucket"));
  s = ResolveError("bucket", {{"AWS_SECRET_ACCESS_KEY", "only-secret-Zz"}});
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(s), Catch::Contains("AWS_ACCESS_KEY_ID is not"));
  CHECK_THAT(Message(s), !Catch::Contains("only-secret-Zz"));
}

TEST_CASE("no credentials anywhere is Unauthenticated naming the variables and the file") {
  coffer::testing::TempDir home;
  absl::Status s = ResolveError("bucket/x", {{"HOME", home.path().string()}});
  INFO(s.ToString());
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(s), Catch::Contains("AWS_ACCESS_KEY_ID"));
  CHECK_THAT(Message(s), Catch::Contains("AWS_SECRET_ACCESS_KEY"));
  CHECK_THAT(Message(s), Catch::Contains((home.path() / ".aws/credentials").string()));
  CHECK_THAT(Message(s), Catch::Contains("s3://bucket/x"));
}

TEST_CASE("S3 credentials and region come from ~/.aws files for AWS_PROFILE or default") {
  coffer::testing::TempDir home;
  Write(home / ".aws/credentials",
        "# comment\n"
        "[default]\n"
        "aws_access_key_id = AKIDDEFAULT\n"
        "aws_secret_access_key = default/secret+with=equals\n"
        "\n"
        "[work]\r\n"
        "aws_access_key_id=AKIDWORK\r\n"
        "aws_secret_access_key=work-secret\r\n"
        "aws_session_token = work-token\r\n");
  Write(home / ".aws/config",
        "[default]\nregion = eu-central-1\n"
        "[profile work]\n"
        "region = ap-southeast-2\n"
        "s3 =\n"
        "  addressing_style = path\n"
        "  endpoint_url = https://minio.example.com:9000\n");
  const std::string h = home.path().string();

  SECTION("the default profile") {
    S3StoreOptions options = MustResolve("bucket", {{"HOME", h}});
    CHECK(options.credentials.access_key_id == "AKIDDEFAULT");
    CHECK(options.credentials.secret_access_key == "default/secret+with=equals");
    CHECK(options.credentials.session_token.empty());
    CHECK(options.region == "eu-central-1");
    CHECK_THAT(options.credential_source, Catch::Contains("profile \"default\""));
    CHECK_THAT(options.credential_source, Catch::Contains(h + "/.aws/credentials"));
  }
  SECTION("AWS_PROFILE picks a profile, with its nested s3 settings") {
    S3StoreOptions options = MustResolve("bucket", {{"HOME", h}, {"AWS_PROFILE", "work"}});
    CHECK(options.credentials.access_key_id == "AKIDWORK");
    CHECK(options.credentials.secret_access_key == "work-secret");
    CHECK(options.credentials.session_token == "work-token");
    CHECK(options.region == "ap-southeast-2");
    CHECK(options.addressing == S3AddressingStyle::kPath);
    CHECK(options.endpoint == "https://minio.example.com:9000");
  }
  SECTION("environment variables take precedence over the files") {
    S3StoreOptions options =
        MustResolve("bucket", With(kEnvCredentials, {{"HOME", h},
                                                     {"AWS_PROFILE", "work"},
                                                     {"AWS_DEFAULT_REGION", "us-west-1"},
                                                     {"AWS_ENDPOINT_URL", "http://127.0.0.1:9000"},
                                                     {"COFFER_S3_ADDRESSING", "virtual"}}));
    CHECK(options.credentials.access_key_id == "AKIDENV");
    CHECK(options.region == "us-west-1");
    CHECK(options.endpoint == "http://127.0.0.1:9000");
    CHECK(options.addressing == S3AddressingStyle::kVirtualHosted);
  }
  SECTION("AWS_REGION wins over AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 over AWS_ENDPOINT_URL") {
    S3StoreOptions options = MustResolve("bucket", {{"HOME", h},
                                                    {"AWS_REGION", "sa-east-1"},
                                                    {"AWS_DEFAULT_REGION", "us-west-1"},
                                                    {"AWS_ENDPOINT_URL", "http://a.example"},
                                                    {"AWS_ENDPOINT_URL_S3", "http://s3.example"}});
    CHECK(options.region == "sa-east-1");
    CHECK(options.endpoint == "http://s3.example");
  }
  SECTION("AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE replace the paths") {
    coffer::testing::TempDir other;
    Write(other / "creds", "[default]\naws_access_key_id=AKIDOTHER\naws_secret_access_key=s\n");
    Write(other / "conf", "[default]\nregion=eu-north-1\n");
    S3StoreOptions options =
        MustResolve("bucket", {{"HOME", h},
                               {"AWS_SHARED_CREDENTIALS_FILE", (other / "creds").string()},
                               {"AWS_CONFIG_FILE", (other / "conf").string()}});
    CHECK(options.credentials.access_key_id == "AKIDOTHER");
    CHECK(options.region == "eu-north-1");
  }
  SECTION("an AWS_PROFILE found in neither file is Unauthenticated naming both files") {
    absl::Status s = ResolveError("bucket", {{"HOME", h}, {"AWS_PROFILE", "nope"}});
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kUnauthenticated);
    CHECK_THAT(Message(s), Catch::Contains("profile \"nope\""));
    CHECK_THAT(Message(s), Catch::Contains(h + "/.aws/credentials"));
    CHECK_THAT(Message(s), Catch::Contains(h + "/.aws/config"));
    CHECK_THAT(Message(s), !Catch::Contains("default/secret"));
  }
}

TEST_CASE("a profile without usable keys says what it lacks and never shows a secret") {
  coffer::testing::TempDir home;
  Write(home / ".aws/credentials",
        "[half]\naws_secret_access_key = half-secret-Kq2\n"
        "[role]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = half\n");
  Write(home / ".aws/config",
        "[profile fromconfig]\naws_access_key_id = AKIDCONF\n"
        "aws_secret_access_key = conf-secret\n");
  const std::string h = home.path().string();
  absl::Status s = ResolveError("bucket", {{"HOME", h}, {"AWS_PROFILE", "half"}});
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(s), Catch::Contains("no aws_access_key_id"));
  CHECK_THAT(Message(s), !Catch::Contains("half-secret"));
  s = ResolveError("bucket", {{"HOME", h}, {"AWS_PROFILE", "role"}});
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(Message(s), Catch::Contains("role_arn"));
  CHECK_THAT(Message(s), Catch::Contains("not support"));
  // Keys in the config file serve too, as for the AWS CLI.
  S3StoreOptions options = MustResolve("bucket", {{"HOME", h}, {"AWS_PROFILE", "fromconfig"}});
  CHECK(options.credentials.access_key_id == "AKIDCONF");
  CHECK_THAT(options.credential_source, Catch::Contains(h + "/.aws/config"));
}

TEST_CASE("bad region, endpoint or addressing values name their variable") {
  struct Case {
    Env env;
    std::string says;
  };
  for (const Case& c :
       {Case{{{"AWS_REGION", "US East"}}, "AWS_REGION \"US East\" is not an AWS region"},
        Case{{{"AWS_ENDPOINT_URL", "ftp://x"}}, "AWS_ENDPOINT_URL \"ftp://x\" is not an http"},
        Case{{{"AWS_ENDPOINT_URL", "localhost:9000"}},
             "AWS_ENDPOINT_URL \"localhost:9000\" has no scheme"},
        Case{{{"AWS_ENDPOINT_URL_S3", "http://h/base"}},
             "AWS_ENDPOINT_URL_S3 \"http://h/base\" has a path"},
        Case{{{"AWS_ENDPOINT_URL", "http://user:pw-Secret@h:9000"}}, "contains user info"},
        Case{{{"AWS_ENDPOINT_URL", "http://h:port"}}, "bad port"},
        Case{{{"COFFER_S3_ADDRESSING", "sideways"}}, "COFFER_S3_ADDRESSING \"sideways\""}}) {
    absl::Status s = ResolveError("bucket", With(kEnvCredentials, c.env));
    INFO(s.ToString());
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(s), Catch::Contains(c.says));
    CHECK_THAT(Message(s), !Catch::Contains("pw-Secret"));
    CHECK_THAT(Message(s), Catch::Contains("s3://bucket"));
  }
}

TEST_CASE("endpoint URLs keep host and port, drop default ports and a trailing slash") {
  absl::StatusOr<S3EndpointUrl> url = ParseS3EndpointUrl("HTTP://127.0.0.1:9000/", "x");
  REQUIRE(url.ok());
  CHECK(url->scheme == "http");
  CHECK(url->host_port == "127.0.0.1:9000");
  url = ParseS3EndpointUrl("https://s3.example.com:443", "x");
  REQUIRE(url.ok());
  CHECK(url->host_port == "s3.example.com");
  url = ParseS3EndpointUrl("http://[::1]:9000", "x");
  REQUIRE(url.ok());
  CHECK(url->host_port == "[::1]:9000");
}

TEST_CASE("the AWS shared config parser reads sections, comments and nested blocks") {
  const std::string text =
      "; leading comment\n"
      "[other]\nkey = no\n"
      "[ target ]\n"
      "Region = eu-west-1\n"
      "# a comment = not a setting\n"
      "s3 =\n"
      "    addressing_style = virtual\n"
      "\tmax_concurrent_requests = 4\n"
      "after = yes\n"
      "  indented_plain = fine\n"
      "secret = a=b=c\n";
  std::optional<AwsProfileSettings> settings = ParseAwsSharedConfigSection(text, "target");
  REQUIRE(settings);
  CHECK(settings->at("region") == "eu-west-1");
  CHECK(settings->at("s3.addressing_style") == "virtual");
  CHECK(settings->at("s3.max_concurrent_requests") == "4");
  CHECK(settings->at("after") == "yes");
  CHECK(settings->at("indented_plain") == "fine");
  CHECK(settings->at("secret") == "a=b=c");
  CHECK(settings->count("key") == 0);
  CHECK(settings->count("# a comment") == 0);
  CHECK_FALSE(ParseAwsSharedConfigSection(text, "missing"));
  CHECK(AwsConfigSection("default") == "default");
  CHECK(AwsConfigSection("work") == "profile work");
}

TEST_CASE("an unreadable credentials file is an error naming the file") {
  coffer::testing::TempDir home;
  // A directory where the file should be cannot be read as one.
  std::filesystem::create_directories(home / ".aws/credentials");
  absl::Status s = ResolveError("bucket", {{"HOME", home.path().string()}});
  INFO(s.ToString());
  CHECK(s.code() != absl::StatusCode::kOk);
  CHECK_THAT(Message(s), Catch::Contains((home / ".aws/credentials").string()));
}
