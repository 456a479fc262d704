#include "store/gcs_service_account.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "base/base64.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

using nlohmann::json;

// Wipes a string holding key material before its memory is released.
void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// PEM password callback: service-account keys are never encrypted, and the
// default callback would prompt on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

absl::StatusOr<std::shared_ptr<EVP_PKEY>> ReadRsaPrivateKey(const std::string& pem,
                                                            std::string_view origin) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return absl::ResourceExhaustedError("OpenSSL could not allocate a BIO");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr);
  BIO_free(bio);
  // OpenSSL's error strings say what failed to decode, not what was read;
  // still, nothing of them is needed here.
  ERR_clear_error();
  if (key == nullptr)
    return absl::InvalidArgumentError(
        StoreCat(origin, ": field \"private_key\" is not a PEM private key"));
  std::shared_ptr<EVP_PKEY> owned(key, EVP_PKEY_free);
  if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA)
    return absl::InvalidArgumentError(
        StoreCat(origin, ": field \"private_key\" is not an RSA key (RS256 signing needs one)"));
  return owned;
}

// The string field `name`, or InvalidArgument naming it.
absl::StatusOr<std::string> StringField(const json& doc, const char* name, std::string_view origin,
                                        bool required) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(StoreCat(origin, ": missing field \"", name, "\""));
  }
  if (!it->is_string())
    return absl::InvalidArgumentError(StoreCat(origin, ": field \"", name, "\" is not a string"));
  return it->get<std::string>();
}

}  // namespace

absl::StatusOr<ServiceAccountKey> ParseServiceAccountKey(std::string_view text,
                                                         std::string_view origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() quotes the bytes around the error, which may be key material.
    return absl::InvalidArgumentError(
        StoreCat(origin, ": not valid JSON (syntax error at byte ", e.byte, ")"));
  }
  struct WipeKeyText {
    json& doc;
    ~WipeKeyText() {
      if (auto it = doc.find("private_key"); it != doc.end() && it->is_string())
        Wipe(it->get_ref<std::string&>());
    }
  } wipe{doc};
  if (!doc.is_object()) return absl::InvalidArgumentError(StoreCat(origin, ": not a JSON object"));

  absl::StatusOr<std::string> type = StringField(doc, "type", origin, /*required=*/true);
  if (!type.ok()) return type.status();
  if (*type != "service_account")
    return absl::InvalidArgumentError(
        StoreCat(origin, ": field \"type\" is \"", *type,
                 "\"; only \"service_account\" keys are supported (for other credentials set "
                 "GOOGLE_OAUTH_ACCESS_TOKEN to an access token)"));

  ServiceAccountKey key;
  key.origin = std::string(origin);
  absl::StatusOr<std::string> email = StringField(doc, "client_email", origin, true);
  if (!email.ok()) return email.status();
  key.client_email = *std::move(email);
  absl::StatusOr<std::string> key_id = StringField(doc, "private_key_id", origin, false);
  if (!key_id.ok()) return key_id.status();
  key.private_key_id = *std::move(key_id);
  absl::StatusOr<std::string> token_uri = StringField(doc, "token_uri", origin, false);
  if (!token_uri.ok()) return token_uri.status();
  key.token_uri = token_uri->empty() ? std::string(kGoogleDefaultTokenUri) : *std::move(token_uri);
  if (!key.token_uri.starts_with("https://") && !key.token_uri.starts_with("http://"))
    return absl::InvalidArgumentError(
        StoreCat(origin, ": field \"token_uri\" is not an http(s) URL"));

  auto pem = doc.find("private_key");
  if (pem == doc.end() || pem->is_null())
    return absl::InvalidArgumentError(StoreCat(origin, ": missing field \"private_key\""));
  if (!pem->is_string())
    return absl::InvalidArgumentError(StoreCat(origin, ": field \"private_key\" is not a string"));
  absl::StatusOr<std::shared_ptr<EVP_PKEY>> private_key =
      ReadRsaPrivateKey(pem->get_ref<const std::string&>(), origin);
  if (!private_key.ok()) return private_key.status();
  key.private_key = *std::move(private_key);
  return key;
}

absl::StatusOr<ServiceAccountKey> LoadServiceAccountKey(const std::string& path) {
  const std::string origin = StoreCat("service-account key file ", path);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return absl::InvalidArgumentError(StoreCat(origin, ": is a directory, not a JSON key file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    absl::StatusCode code = err == ENOENT   ? absl::StatusCode::kNotFound
                            : err == EACCES ? absl::StatusCode::kPermissionDenied
                                            : absl::StatusCode::kInvalidArgument;
    return absl::Status(code,
                        StoreCat(origin, ": cannot open: ", std::generic_category().message(err)));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    Wipe(text);
    return absl::InvalidArgumentError(StoreCat(origin, ": cannot read"));
  }
  absl::StatusOr<ServiceAccountKey> key = ParseServiceAccountKey(text, origin);
  Wipe(text);
  return key;
}

std::string Base64UrlEncode(ByteView data) {
  std::string out = Base64Encode(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  return out;
}

absl::StatusOr<std::string> MakeServiceAccountJwt(const ServiceAccountKey& key,
                                                  std::string_view scope, absl::Time now,
                                                  absl::Duration lifetime) {
  if (key.private_key == nullptr)
    return absl::FailedPreconditionError(StoreCat(key.origin, ": no private key loaded"));
  json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  const int64_t iat = absl::ToUnixSeconds(now);
  json claims = {{"iss", key.client_email},
                 {"scope", std::string(scope)},
                 {"aud", key.token_uri},
                 {"iat", iat},
                 {"exp", iat + absl::ToInt64Seconds(lifetime)}};
  const std::string signing_input = StoreCat(Base64UrlEncode(AsBytes(header.dump())), ".",
                                             Base64UrlEncode(AsBytes(claims.dump())));

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t length = 0;
  Bytes signature;
  bool ok =
      ctx != nullptr &&
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.private_key.get()) == 1 &&
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) == 1;
  if (ok) {
    signature.resize(length);
    ok = EVP_DigestSign(ctx.get(), signature.data(), &length,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    signature.resize(length);
  }
  ERR_clear_error();
  if (!ok)
    return absl::InternalError(StoreCat(key.origin, ": OpenSSL could not sign the RS256 JWT"));
  return StoreCat(signing_input, ".", Base64UrlEncode(signature));
}

}  // namespace coffer
