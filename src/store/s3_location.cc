#include "store/s3_location.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "base/status_macros.h"
#include "store/aws_shared_config.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

constexpr std::string_view kExpected = "expected s3://BUCKET or s3://BUCKET/PREFIX";

absl::Status BadLocation(std::string_view what) {
  return absl::InvalidArgumentError(StoreCat("S3 location: ", what, "; ", kExpected));
}

bool IsIPv4(std::string_view s) {
  int parts = 0;
  while (true) {
    size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part)
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

std::optional<std::string> Get(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

// The first of `names` that is set, with its name.
std::optional<std::pair<std::string, std::string>> FirstSet(
    const EnvLookup& env, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (std::optional<std::string> value = Get(env, name)) return std::make_pair(name, *value);
  return std::nullopt;
}

// The shared files of one profile, read when first needed: a run configured
// entirely from the environment never touches them.
class ProfileFiles {
 public:
  explicit ProfileFiles(const EnvLookup& env) {
    auto profile = FirstSet(env, {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"});
    explicit_profile_ = profile.has_value();
    profile_ = profile ? profile->second : "default";
    std::string home = Get(env, "HOME").value_or("");
    credentials_path_ = PathFrom(env, "AWS_SHARED_CREDENTIALS_FILE", home, ".aws/credentials");
    config_path_ = PathFrom(env, "AWS_CONFIG_FILE", home, ".aws/config");
  }

  const std::string& profile() const { return profile_; }
  bool explicit_profile() const { return explicit_profile_; }
  const std::string& credentials_path() const { return credentials_path_; }
  const std::string& config_path() const { return config_path_; }

  absl::StatusOr<const std::optional<AwsProfileSettings>*> Credentials() {
    if (!credentials_) {
      if (credentials_path_.empty()) {
        credentials_.emplace();
      } else {
        COFFER_ASSIGN_OR_RETURN(credentials_,
                                ReadAwsSharedConfigSection(credentials_path_, profile_));
      }
    }
    return &*credentials_;
  }

  absl::StatusOr<const std::optional<AwsProfileSettings>*> Config() {
    if (!config_) {
      config_.emplace();
      if (!config_path_.empty()) {
        COFFER_ASSIGN_OR_RETURN(
            *config_, ReadAwsSharedConfigSection(config_path_, AwsConfigSection(profile_)));
        // Some tools write the default profile as "[profile default]".
        if (!*config_ && profile_ == "default") {
          COFFER_ASSIGN_OR_RETURN(*config_,
                                  ReadAwsSharedConfigSection(config_path_, "profile default"));
        }
      }
    }
    return &*config_;
  }

  // A setting of the profile in the config file, if any.
  absl::StatusOr<std::optional<std::string>> ConfigSetting(const std::string& key) {
    COFFER_ASSIGN_OR_RETURN(const std::optional<AwsProfileSettings>* config, Config());
    if (!*config) return std::optional<std::string>();
    auto it = (*config)->find(key);
    if (it == (*config)->end() || it->second.empty()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

 private:
  static std::string PathFrom(const EnvLookup& env, const char* variable, const std::string& home,
                              const char* under_home) {
    if (std::optional<std::string> path = Get(env, variable)) {
      if (path->starts_with("~/") && !home.empty()) return home + path->substr(1);
      return *path;
    }
    return home.empty() ? "" : StoreCat(home, "/", under_home);
  }

  std::string profile_;
  bool explicit_profile_ = false;
  std::string credentials_path_;
  std::string config_path_;
  std::optional<std::optional<AwsProfileSettings>> credentials_;
  std::optional<std::optional<AwsProfileSettings>> config_;
};

std::string Setting(const AwsProfileSettings& settings, const std::string& key) {
  auto it = settings.find(key);
  return it == settings.end() ? "" : it->second;
}

// Credentials from one profile section, or nullopt when it has none at all.
absl::StatusOr<std::optional<SigV4Credentials>> CredentialsFromProfile(
    const AwsProfileSettings& settings, std::string_view where) {
  SigV4Credentials credentials{Setting(settings, "aws_access_key_id"),
                               Setting(settings, "aws_secret_access_key"),
                               Setting(settings, "aws_session_token")};
  if (credentials.access_key_id.empty() && credentials.secret_access_key.empty()) {
    for (const char* unsupported : {"role_arn", "credential_process", "sso_session",
                                    "sso_start_url", "web_identity_token_file"})
      if (settings.count(unsupported))
        return absl::UnauthenticatedError(
            StoreCat(where, " uses ", unsupported,
                     ", which coffer does not support; export static credentials to "
                     "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN instead"));
    return std::optional<SigV4Credentials>();
  }
  if (credentials.access_key_id.empty())
    return absl::UnauthenticatedError(
        StoreCat(where, " has aws_secret_access_key but no aws_access_key_id"));
  if (credentials.secret_access_key.empty())
    return absl::UnauthenticatedError(
        StoreCat(where, " has aws_access_key_id but no aws_secret_access_key"));
  return std::optional<SigV4Credentials>(std::move(credentials));
}

absl::Status ResolveCredentials(const EnvLookup& env, ProfileFiles& files,
                                S3StoreOptions& options) {
  std::optional<std::string> key = Get(env, "AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = Get(env, "AWS_SECRET_ACCESS_KEY");
  if (key || secret) {
    if (!key)
      return absl::UnauthenticatedError(
          "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both");
    if (!secret)
      return absl::UnauthenticatedError(
          "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both (and "
          "AWS_SESSION_TOKEN for temporary credentials)");
    options.credentials = {*key, *secret, Get(env, "AWS_SESSION_TOKEN").value_or("")};
    options.credential_source = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment";
    return absl::OkStatus();
  }
  const std::string profile = StoreCat("profile \"", files.profile(), "\"");
  bool profile_seen = false;
  // The credentials file first, then the config file, as the AWS CLI does.
  COFFER_ASSIGN_OR_RETURN(const std::optional<AwsProfileSettings>* from_credentials,
                          files.Credentials());
  if (*from_credentials) {
    profile_seen = true;
    std::string where = StoreCat(profile, " in ", files.credentials_path());
    COFFER_ASSIGN_OR_RETURN(std::optional<SigV4Credentials> found,
                            CredentialsFromProfile(**from_credentials, where));
    if (found) {
      options.credentials = std::move(*found);
      options.credential_source = where;
      return absl::OkStatus();
    }
  }
  COFFER_ASSIGN_OR_RETURN(const std::optional<AwsProfileSettings>* from_config, files.Config());
  if (*from_config) {
    profile_seen = true;
    std::string where = StoreCat(profile, " in ", files.config_path());
    COFFER_ASSIGN_OR_RETURN(std::optional<SigV4Credentials> found,
                            CredentialsFromProfile(**from_config, where));
    if (found) {
      options.credentials = std::move(*found);
      options.credential_source = where;
      return absl::OkStatus();
    }
  }
  auto file_or_unset = [](const std::string& path) {
    return path.empty() ? std::string("(no file: HOME is not set)") : path;
  };
  if (files.explicit_profile() && !profile_seen)
    return absl::UnauthenticatedError(StoreCat(
        "no S3 credentials: AWS_PROFILE names ", profile, ", which is in neither ",
        file_or_unset(files.credentials_path()), " nor ", file_or_unset(files.config_path())));
  return absl::UnauthenticatedError(StoreCat(
      "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN "
      "for temporary credentials), or give ",
      profile, " aws_access_key_id and aws_secret_access_key in ",
      file_or_unset(files.credentials_path()),
      " (AWS_SHARED_CREDENTIALS_FILE; AWS_PROFILE chooses the profile)"));
}

absl::Status ValidateRegion(std::string_view region, std::string_view source) {
  bool ok = !region.empty() && region.size() <= 64;
  for (char c : region)
    ok = ok && (absl::ascii_islower(static_cast<unsigned char>(c)) ||
                absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-');
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(StoreCat(source, " \"", region,
                                             "\" is not an AWS region name (expected "
                                             "lower-case letters, digits and '-', like "
                                             "us-east-1)"));
}

}  // namespace

absl::Status ValidateS3BucketName(std::string_view bucket) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StoreCat("invalid S3 bucket name \"", bucket, "\": ", why));
  };
  if (bucket.size() < 3 || bucket.size() > 63) return bad("it must be 3 to 63 characters long");
  for (char c : bucket) {
    unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isupper(u)) return bad("upper-case letters are not allowed");
    if (!absl::ascii_islower(u) && !absl::ascii_isdigit(u) && c != '.' && c != '-')
      return bad("only lower-case letters, digits, '.' and '-' are allowed");
  }
  auto alnum = [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); };
  if (!alnum(bucket.front()) || !alnum(bucket.back()))
    return bad("it must start and end with a letter or digit");
  if (bucket.find("..") != std::string_view::npos) return bad("\"..\" is not allowed");
  if (IsIPv4(bucket)) return bad("it must not look like an IP address");
  return absl::OkStatus();
}

absl::Status ValidateS3Prefix(std::string_view prefix) {
  if (prefix.empty()) return absl::OkStatus();
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StoreCat("invalid S3 key prefix \"", prefix, "\": ", why));
  };
  if (prefix.find('\0') != std::string_view::npos) return bad("it contains a NUL byte");
  std::string_view rest = prefix;
  while (true) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part.empty()) return bad("it has an empty component (\"//\" or a leading '/')");
    if (part == "." || part == "..") return bad("\".\" and \"..\" components are not allowed");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return absl::OkStatus();
}

absl::StatusOr<S3Location> ParseS3Location(std::string_view rest) {
  if (rest.empty()) return BadLocation("s3:// names no bucket");
  // Only the fact is reported: what precedes '@' may be a secret key.
  if (rest.substr(0, rest.find('/')).find('@') != std::string_view::npos)
    return BadLocation(
        "credentials must not be part of the location (found '@' before the bucket); set "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE instead");
  if (rest.find_first_of("?#") != std::string_view::npos)
    return BadLocation("a query ('?') or fragment ('#') is not allowed");
  size_t slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (location.bucket.empty())
    return BadLocation(StoreCat("s3://", rest, " names no bucket (it starts with '/')"));
  if (absl::Status s = ValidateS3BucketName(location.bucket); !s.ok())
    return BadLocation(StoreCat("s3://", rest, ": ", std::string(s.message())));
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    if (prefix.ends_with('/')) prefix.remove_suffix(1);  // "bucket/prefix/" means "bucket/prefix".
    if (absl::Status s = ValidateS3Prefix(prefix); !s.ok())
      return BadLocation(StoreCat("s3://", rest, ": ", std::string(s.message())));
    location.prefix = std::string(prefix);
  }
  return location;
}

absl::StatusOr<S3AddressingStyle> ParseS3AddressingStyle(std::string_view value,
                                                         std::string_view source) {
  std::string lower = absl::AsciiStrToLower(std::string(value));
  if (lower == "path") return S3AddressingStyle::kPath;
  if (lower == "virtual") return S3AddressingStyle::kVirtualHosted;
  if (lower == "auto") return S3AddressingStyle::kAuto;
  return absl::InvalidArgumentError(StoreCat(
      source, " \"", value, "\" is not an S3 addressing style; expected path, virtual or auto"));
}

absl::StatusOr<S3EndpointUrl> ParseS3EndpointUrl(std::string_view url, std::string_view source) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        StoreCat(source, " \"", RedactUrl(url), "\" ", why, "; expected http(s)://HOST[:PORT]"));
  };
  S3EndpointUrl out;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("has no scheme");
  out.scheme = absl::AsciiStrToLower(std::string(url.substr(0, sep)));
  if (out.scheme != "http" && out.scheme != "https") return bad("is not an http or https URL");
  std::string_view rest = url.substr(sep + 3);
  size_t path = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path);
  if (path != std::string_view::npos && rest.substr(path) != "/")
    return bad("has a path, query or fragment");
  if (authority.find('@') != std::string_view::npos) return bad("contains user info");
  if (authority.empty()) return bad("has no host");
  for (char c : authority)
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        absl::ascii_iscntrl(static_cast<unsigned char>(c)))
      return bad("contains white space or control characters");
  // Drop a port that is the scheme's default: it is not part of the Host header.
  std::string host_port = absl::AsciiStrToLower(std::string(authority));
  size_t colon = host_port.rfind(':');
  if (colon != std::string::npos && host_port.find(']', colon) == std::string::npos) {
    std::string_view port = std::string_view(host_port).substr(colon + 1);
    if (port.empty()) return bad("has an empty port");
    for (char c : port)
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return bad("has a bad port");
    if ((out.scheme == "http" && port == "80") || (out.scheme == "https" && port == "443"))
      host_port.resize(colon);
  }
  if (host_port.empty() || host_port.front() == ':') return bad("has no host");
  out.host_port = std::move(host_port);
  return out;
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

namespace {

// Region, endpoint and addressing, each from the environment or the config file.
absl::Status ResolveSettings(const EnvLookup& env, ProfileFiles& files, S3StoreOptions& options) {
  const std::string in_config = StoreCat(" in ", files.config_path());
  if (auto region = FirstSet(env, {"AWS_REGION", "AWS_DEFAULT_REGION"})) {
    COFFER_RETURN_IF_ERROR(ValidateRegion(region->second, region->first));
    options.region = region->second;
  } else {
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> from_file, files.ConfigSetting("region"));
    if (from_file) {
      COFFER_RETURN_IF_ERROR(ValidateRegion(*from_file, StoreCat("region", in_config)));
      options.region = *from_file;
    }
  }

  std::optional<std::pair<std::string, std::string>> endpoint =
      FirstSet(env, {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"});
  for (const char* key : {"s3.endpoint_url", "endpoint_url"}) {
    if (endpoint) break;
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> from_file, files.ConfigSetting(key));
    if (from_file) endpoint = std::make_pair(StoreCat(key, in_config), *from_file);
  }
  if (endpoint) {
    COFFER_RETURN_IF_ERROR(ParseS3EndpointUrl(endpoint->second, endpoint->first).status());
    options.endpoint = endpoint->second;
  }

  if (std::optional<std::string> style = Get(env, "COFFER_S3_ADDRESSING")) {
    COFFER_ASSIGN_OR_RETURN(options.addressing,
                            ParseS3AddressingStyle(*style, "COFFER_S3_ADDRESSING"));
  } else {
    COFFER_ASSIGN_OR_RETURN(std::optional<std::string> from_file,
                            files.ConfigSetting("s3.addressing_style"));
    if (from_file) {
      COFFER_ASSIGN_OR_RETURN(
          options.addressing,
          ParseS3AddressingStyle(*from_file, StoreCat("s3 addressing_style", in_config)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<S3StoreOptions> ResolveS3StoreOptions(std::string_view rest, const EnvLookup& env) {
  COFFER_ASSIGN_OR_RETURN(S3Location location, ParseS3Location(rest));
  S3StoreOptions options;
  options.bucket = std::move(location.bucket);
  options.prefix = std::move(location.prefix);
  ProfileFiles files(env);
  // The location is valid here, so echoing it is safe.
  const std::string store = StoreCat("S3 store s3://", rest);
  COFFER_RETURN_IF_ERROR(Annotate(ResolveCredentials(env, files, options), store));
  COFFER_RETURN_IF_ERROR(Annotate(ResolveSettings(env, files, options), store));
  options.http = HttpClientOptionsFromEnvironment();
  return options;
}

}  // namespace coffer
