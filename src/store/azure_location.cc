#include "store/azure_location.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "base/base64.h"
#include "base/status_macros.h"
#include "store/azure_protocol.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

constexpr std::string_view kConnectionStringVar = "AZURE_STORAGE_CONNECTION_STRING";
constexpr std::string_view kAccountVar = "AZURE_STORAGE_ACCOUNT";
constexpr std::string_view kKeyVar = "AZURE_STORAGE_KEY";
constexpr std::string_view kSasVar = "AZURE_STORAGE_SAS_TOKEN";
constexpr std::string_view kUsage = "expected azure://CONTAINER[/PREFIX]";

// UseDevelopmentStorage=true: Azurite's defaults and Microsoft's published
// development account (not a secret).
constexpr std::string_view kDevAccount = "devstoreaccount1";
constexpr std::string_view kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
constexpr std::string_view kDevEndpoint = "http://127.0.0.1:10000/devstoreaccount1";

std::string Trimmed(std::string_view s) {
  return std::string(absl::StripAsciiWhitespace(std::string(s)));
}

// Storage account names: 3-24 lower-case letters and digits.
bool IsAccountName(std::string_view name) {
  if (name.size() < 3 || name.size() > 24) return false;
  for (char c : name)
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

// Keys a connection string may hold (lower-cased): ours, and other services'
// endpoints, which are ignored.
bool IsConnectionStringKey(std::string_view lower) {
  for (std::string_view known :
       {"accountname", "accountkey", "sharedaccesssignature", "blobendpoint",
        "defaultendpointsprotocol", "endpointsuffix", "usedevelopmentstorage",
        "developmentstorageproxyuri", "queueendpoint", "tableendpoint", "fileendpoint",
        "blobsecondaryendpoint", "queuesecondaryendpoint", "tablesecondaryendpoint",
        "filesecondaryendpoint", "dfsendpoint"})
    if (lower == known) return true;
  return false;
}

absl::Status BadAccount(std::string_view account, std::string_view source) {
  return absl::InvalidArgumentError(
      StoreCat(source, ": storage account name \"", account,
               "\" is not valid (3-24 lower-case letters and digits)"));
}

// Store options (endpoint and credential) from a parsed connection string.
absl::StatusOr<AzureStoreOptions> FromConnectionString(const AzureConnectionString& cs) {
  AzureStoreOptions options;
  const std::string source = std::string(kConnectionStringVar);
  if (cs.use_development_storage) {
    options.endpoint = kDevEndpoint;
    options.account = kDevAccount;
    options.account_key = kDevKey;
    return options;
  }
  options.account = cs.account_name;
  options.account_key = cs.account_key;
  options.sas_token = cs.shared_access_signature;
  if (!cs.blob_endpoint.empty()) {
    options.endpoint = cs.blob_endpoint;
  } else {
    if (cs.account_name.empty())
      return absl::InvalidArgumentError(
          StoreCat(source,
                   " has neither AccountName nor BlobEndpoint: one of them is needed "
                   "to know where the blobs are"));
    if (!IsAccountName(cs.account_name)) return BadAccount(cs.account_name, source);
    std::string protocol =
        cs.default_endpoints_protocol.empty() ? "https" : cs.default_endpoints_protocol;
    options.endpoint =
        AzureDefaultEndpoint(cs.account_name, protocol,
                             cs.endpoint_suffix.empty() ? "core.windows.net" : cs.endpoint_suffix);
  }
  if (cs.account_key.empty() && cs.shared_access_signature.empty())
    return absl::InvalidArgumentError(StoreCat(
        source, " has neither AccountKey nor SharedAccessSignature: one of them is needed"));
  if (!cs.account_key.empty() && cs.account_name.empty())
    return absl::InvalidArgumentError(
        StoreCat(source, " has an AccountKey but no AccountName: Shared Key signing needs both"));
  if (!cs.account_key.empty()) {
    COFFER_RETURN_IF_ERROR(
        DecodeAzureAccountKey(cs.account_key, StoreCat(source, "'s AccountKey")).status());
    options.sas_token.clear();  // The key wins.
  } else {
    COFFER_ASSIGN_OR_RETURN(options.sas_token,
                            NormalizeAzureSasToken(cs.shared_access_signature,
                                                   StoreCat(source, "'s SharedAccessSignature")));
  }
  return options;
}

absl::StatusOr<AzureStoreOptions> FromVariables(const AzureEnvLookup& env) {
  std::optional<std::string> account = env(kAccountVar);
  std::optional<std::string> key = env(kKeyVar);
  std::optional<std::string> sas = env(kSasVar);
  if (!account) {
    if (key || sas)
      return absl::InvalidArgumentError(StoreCat(key ? kKeyVar : kSasVar, " is set but ",
                                                 kAccountVar, " (the storage account) is not"));
    return absl::InvalidArgumentError(StoreCat("no Azure credentials: set ", kConnectionStringVar,
                                               ", or ", kAccountVar, " with ", kKeyVar,
                                               " (Shared Key) or ", kSasVar));
  }
  std::string account_name = Trimmed(*account);
  if (!IsAccountName(account_name)) return BadAccount(account_name, kAccountVar);
  if (!key && !sas)
    return absl::InvalidArgumentError(StoreCat(kAccountVar, " is set but neither ", kKeyVar,
                                               " (Shared Key) nor ", kSasVar, " is"));
  AzureStoreOptions options;
  options.account = account_name;
  options.endpoint = AzureDefaultEndpoint(account_name);
  if (key) {
    COFFER_RETURN_IF_ERROR(DecodeAzureAccountKey(*key, kKeyVar).status());
    options.account_key = Trimmed(*key);
  } else {
    COFFER_ASSIGN_OR_RETURN(options.sas_token, NormalizeAzureSasToken(*sas, kSasVar));
  }
  return options;
}

}  // namespace

std::optional<std::string> AzureProcessEnvironment(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

absl::StatusOr<AzureConnectionString> ParseAzureConnectionString(std::string_view text) {
  AzureConnectionString out;
  std::vector<std::string> seen;
  const std::string source = std::string(kConnectionStringVar);
  size_t segment_number = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find(';', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view segment = text.substr(start, end - start);
    start = end + 1;
    ++segment_number;
    if (absl::StripAsciiWhitespace(std::string(segment)).empty()) continue;
    size_t eq = segment.find('=');
    // The segment itself is not quoted: it may be part of a key split by a stray ';'.
    if (eq == std::string_view::npos)
      return absl::InvalidArgumentError(
          StoreCat(source, ": segment ", segment_number, " is not Key=Value"));
    std::string key = Trimmed(segment.substr(0, eq));
    std::string value = Trimmed(segment.substr(eq + 1));
    std::string lower = absl::AsciiStrToLower(key);
    // Checked before anything is quoted: a key split by a stray ';' looks like
    // "FRAGMENT==" and must not reach a message.
    if (!IsConnectionStringKey(lower))
      return absl::InvalidArgumentError(StoreCat(
          source, ": segment ", segment_number,
          " has an unknown key (known: AccountName, AccountKey, SharedAccessSignature, "
          "BlobEndpoint, DefaultEndpointsProtocol, EndpointSuffix, UseDevelopmentStorage)"));
    for (const std::string& earlier : seen)
      if (earlier == lower)
        return absl::InvalidArgumentError(StoreCat(source, ": ", key, " appears twice"));
    seen.push_back(lower);
    if (lower == "accountname") {
      out.account_name = value;
    } else if (lower == "accountkey") {
      out.account_key = value;
    } else if (lower == "sharedaccesssignature") {
      out.shared_access_signature = value;
    } else if (lower == "blobendpoint") {
      out.blob_endpoint = value;
    } else if (lower == "defaultendpointsprotocol") {
      std::string protocol = absl::AsciiStrToLower(value);
      if (protocol != "http" && protocol != "https")
        return absl::InvalidArgumentError(
            StoreCat(source, ": DefaultEndpointsProtocol must be http or https"));
      out.default_endpoints_protocol = protocol;
    } else if (lower == "endpointsuffix") {
      if (value.empty() || value.find_first_of("/?#@ ") != std::string::npos)
        return absl::InvalidArgumentError(
            StoreCat(source, ": EndpointSuffix must be a domain such as core.windows.net"));
      out.endpoint_suffix = value;
    } else if (lower == "usedevelopmentstorage") {
      if (absl::AsciiStrToLower(value) != "true")
        return absl::InvalidArgumentError(
            StoreCat(source, ": UseDevelopmentStorage can only be true"));
      out.use_development_storage = true;
    }  // Other services' endpoints (Queue, Table, File …) are not ours.
  }
  if (out.use_development_storage)
    for (const std::string& key : seen)
      if (key == "accountname" || key == "accountkey" || key == "sharedaccesssignature" ||
          key == "blobendpoint")
        return absl::InvalidArgumentError(StoreCat(
            source, ": UseDevelopmentStorage=true cannot be combined with account settings"));
  if (!out.blob_endpoint.empty())
    COFFER_RETURN_IF_ERROR(
        ParseAzureEndpoint(out.blob_endpoint, StoreCat(source, "'s BlobEndpoint")).status());
  return out;
}

absl::StatusOr<AzureContainerPath> ParseAzureLocationPath(std::string_view rest) {
  // A query or fragment is refused unquoted: that is where a pasted SAS would be.
  if (rest.find_first_of("?#") != std::string_view::npos)
    return absl::InvalidArgumentError(
        StoreCat("azure location: a query string or fragment is not supported (put a SAS token in ",
                 kSasVar, " or the connection string); ", kUsage));
  const std::string where = StoreCat("azure location \"azure://", rest, "\"");
  size_t slash = rest.find('/');
  AzureContainerPath out;
  out.container = std::string(rest.substr(0, slash));
  if (out.container.empty())
    return absl::InvalidArgumentError(StoreCat(where, ": no container; ", kUsage));
  if (absl::Status s = CheckAzureContainerName(out.container); !s.ok())
    return absl::InvalidArgumentError(
        StoreCat(where, ": ", std::string(s.message()), "; ", kUsage));
  if (slash == std::string_view::npos) return out;
  std::string_view prefix = rest.substr(slash + 1);
  if (prefix.ends_with('/')) prefix.remove_suffix(1);
  if (prefix.empty() && rest.size() > slash + 1)
    return absl::InvalidArgumentError(StoreCat(where, ": the prefix is empty; ", kUsage));
  if (!prefix.empty()) {
    if (absl::Status s = ValidateObjectName(prefix); !s.ok())
      return absl::InvalidArgumentError(
          StoreCat(where, ": prefix \"", prefix, "\" is not valid: ", std::string(s.message())));
    if (absl::Status s = CheckAzureBlobName(prefix); !s.ok())
      return absl::InvalidArgumentError(
          StoreCat(where, ": prefix \"", prefix, "\" is not valid: ", std::string(s.message())));
  }
  out.prefix = std::string(prefix);
  return out;
}

absl::StatusOr<AzureStoreOptions> ResolveAzureLocation(std::string_view rest,
                                                       const AzureEnvLookup& env) {
  COFFER_ASSIGN_OR_RETURN(AzureContainerPath path, ParseAzureLocationPath(rest));
  absl::StatusOr<AzureStoreOptions> options;
  if (std::optional<std::string> cs = env(kConnectionStringVar)) {
    absl::StatusOr<AzureConnectionString> parsed = ParseAzureConnectionString(*cs);
    if (!parsed.ok()) return parsed.status();
    options = FromConnectionString(*parsed);
  } else {
    options = FromVariables(env);
  }
  if (!options.ok())
    return absl::InvalidArgumentError(StoreCat("azure location \"azure://", rest,
                                               "\": ", std::string(options.status().message())));
  options->container = path.container;
  options->prefix = path.prefix;
  return options;
}

std::string AzureDefaultEndpoint(std::string_view account, std::string_view protocol,
                                 std::string_view suffix) {
  return StoreCat(protocol, "://", account, ".blob.", suffix);
}

absl::StatusOr<AzureEndpoint> ParseAzureEndpoint(std::string_view endpoint,
                                                 std::string_view source) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StoreCat(source, ": endpoint \"", RedactUrl(endpoint), "\" ",
                                               why, " (expected http(s)://HOST[:PORT][/PATH])"));
  };
  size_t scheme_end = endpoint.find("://");
  if (scheme_end == std::string_view::npos) return bad("is not a URL");
  std::string scheme = absl::AsciiStrToLower(std::string(endpoint.substr(0, scheme_end)));
  if (scheme != "http" && scheme != "https") return bad("must use http or https");
  if (endpoint.find_first_of("?#") != std::string_view::npos)
    return bad("must not have a query or fragment");
  std::string_view after = endpoint.substr(scheme_end + 3);
  size_t path_start = after.find('/');
  std::string_view host = after.substr(0, path_start);
  if (host.empty()) return bad("has no host");
  if (host.find('@') != std::string_view::npos) return bad("must not carry user info");
  if (host.find_first_of(" \t\r\n") != std::string_view::npos) return bad("has a bad host");
  std::string_view path = path_start == std::string_view::npos ? "" : after.substr(path_start);
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.find_first_of(" \t\r\n") != std::string_view::npos) return bad("has a bad path");
  return AzureEndpoint{StoreCat(scheme, "://", host), std::string(path)};
}

std::string AzureAccountFromEndpoint(const AzureEndpoint& endpoint) {
  if (!endpoint.base_path.empty()) {
    std::string_view path = std::string_view(endpoint.base_path).substr(1);
    return std::string(path.substr(0, path.find('/')));
  }
  std::string_view host = std::string_view(endpoint.origin).substr(endpoint.origin.find("://") + 3);
  size_t dot = host.find(".blob.");
  return dot == std::string_view::npos ? "" : std::string(host.substr(0, dot));
}

absl::StatusOr<Bytes> DecodeAzureAccountKey(std::string_view key, std::string_view source) {
  std::string trimmed = Trimmed(key);
  std::optional<Bytes> decoded = Base64Decode(trimmed);
  if (trimmed.empty() || !decoded || decoded->empty())
    return absl::InvalidArgumentError(
        StoreCat(source,
                 " is not a valid account key: it must be base64 (the 88-character "
                 "key the Azure portal shows under Access keys)"));
  return *std::move(decoded);
}

absl::StatusOr<std::string> NormalizeAzureSasToken(std::string_view token,
                                                   std::string_view source) {
  std::string out = Trimmed(token);
  if (out.starts_with('?')) out.erase(0, 1);
  bool has_sig = out.starts_with("sig=") || out.find("&sig=") != std::string::npos;
  if (out.empty() || !has_sig || out.find_first_of(" \t\r\n#") != std::string::npos)
    return absl::InvalidArgumentError(
        StoreCat(source,
                 " is not a SAS token: expected a query string such as "
                 "sv=…&ss=b&srt=sco&sp=…&se=…&sig=… (with or without a leading '?')"));
  return out;
}

}  // namespace coffer
