// AWS Signature Version 4: canonical request → string to sign → HMAC chain.
#include "store/aws_sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "store/percent_encoding.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr char kHexDigits[] = "0123456789abcdef";

using Digest = std::array<uint8_t, 32>;

std::string Hex(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 0xf];
  }
  return out;
}

Digest HmacSha256(ByteView key, std::string_view message) {
  Digest out{};
  unsigned int length = 0;
  // HMAC() only fails on allocation failure; a zero digest then fails the
  // signature check on the server rather than here.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(),
       &length);
  return out;
}


// Trims and collapses runs of spaces to one, as the spec's Trimall does.
std::string TrimAll(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

absl::Status CheckRequired(std::string_view field, std::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(StoreCat("SigV4 signing: ", field, " is empty"));
  if (HasLineBreak(value))
    return absl::InvalidArgumentError(StoreCat("SigV4 signing: ", field, " contains a line break"));
  return absl::OkStatus();
}

struct CanonicalHeaders {
  std::string block;   // "name:value\n" lines, sorted.
  std::string signed_headers;  // "name;name".
};

absl::StatusOr<CanonicalHeaders> Canonicalize(const SigV4Pairs& headers) {
  // Stable sort keeps repeated names in the caller's order for joining.
  SigV4Pairs lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    if (name.empty() || HasLineBreak(name) || name.find(':') != std::string::npos)
      return absl::InvalidArgumentError(
          StoreCat("SigV4 signing: bad header name \"", HasLineBreak(name) ? "" : name, "\""));
    if (HasLineBreak(value))
      return absl::InvalidArgumentError(
          StoreCat("SigV4 signing: header ", name, " contains a line break"));
    lowered.emplace_back(absl::AsciiStrToLower(name), TrimAll(value));
  }
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (size_t i = 0; i < lowered.size(); ++i) {
    const std::string& name = lowered[i].first;
    if (i > 0 && lowered[i - 1].first == name) {
      out.block.pop_back();  // The '\n' of the previous line of this name.
      out.block += StoreCat(",", lowered[i].second, "\n");
      continue;
    }
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
    out.block += StoreCat(name, ":", lowered[i].second, "\n");
  }
  return out;
}

std::string CanonicalQuery(const SigV4Pairs& query) {
  SigV4Pairs encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(PercentEncode(name), PercentEncode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += StoreCat(name, "=", value);
  }
  return out;
}

bool HasHeader(const SigV4Pairs& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& header) {
    return absl::AsciiStrToLower(header.first) == lower_name;
  });
}

}  // namespace

std::string SigV4PayloadHash(ByteView data) {
  Digest digest{};
  SHA256(data.data(), data.size(), digest.data());
  return Hex(digest);
}

std::string SigV4UriEncode(std::string_view s) { return PercentEncode(s, false); }
std::string SigV4UriEncodePath(std::string_view path) { return PercentEncode(path, true); }

std::string SigV4AmzDate(absl::Time time) {
  return absl::FormatTime("%Y%m%dT%H%M%SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<SigV4Signature> SignSigV4(const SigV4Request& request,
                                         const SigV4Credentials& credentials,
                                         const SigV4Scope& scope) {
  for (const auto& [field, value] :
       {std::pair<std::string_view, std::string_view>{"method", request.method},
        {"payload hash", request.payload_hash},
        {"access key id", credentials.access_key_id},
        {"region", scope.region},
        {"service", scope.service}})
    if (absl::Status status = CheckRequired(field, value); !status.ok()) return status;
  // The secret and token are never echoed, not even in part.
  if (credentials.secret_access_key.empty())
    return absl::InvalidArgumentError("SigV4 signing: secret access key is empty");
  if (HasLineBreak(credentials.session_token))
    return absl::InvalidArgumentError("SigV4 signing: session token contains a line break");
  if (!HasHeader(request.headers, "host"))
    return absl::InvalidArgumentError("SigV4 signing: the request has no Host header");

  SigV4Signature out;
  const std::string amz_date = SigV4AmzDate(scope.time);
  out.added_headers.emplace_back("x-amz-date", amz_date);
  if (request.add_content_sha256_header)
    out.added_headers.emplace_back("x-amz-content-sha256", request.payload_hash);
  if (!credentials.session_token.empty())
    out.added_headers.emplace_back("x-amz-security-token", credentials.session_token);
  for (const auto& [name, value] : out.added_headers)
    if (HasHeader(request.headers, name))
      return absl::InvalidArgumentError(
          StoreCat("SigV4 signing: header ", name, " is added by the signer; do not pass it"));

  SigV4Pairs all_headers = request.headers;
  all_headers.insert(all_headers.end(), out.added_headers.begin(), out.added_headers.end());
  absl::StatusOr<CanonicalHeaders> headers = Canonicalize(all_headers);
  if (!headers.ok()) return headers.status();
  out.signed_headers = headers->signed_headers;

  out.canonical_request =
      StoreCat(request.method, "\n", request.canonical_uri.empty() ? "/" : request.canonical_uri,
               "\n", CanonicalQuery(request.query), "\n", headers->block, "\n",
               out.signed_headers, "\n", request.payload_hash);

  const std::string date = amz_date.substr(0, 8);
  out.credential_scope = StoreCat(date, "/", scope.region, "/", scope.service, "/aws4_request");
  out.string_to_sign = StoreCat(kAlgorithm, "\n", amz_date, "\n", out.credential_scope, "\n",
                                SigV4PayloadHash(AsBytes(out.canonical_request)));

  // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
  std::string seed = StoreCat("AWS4", credentials.secret_access_key);
  Digest key = HmacSha256(AsBytes(seed), date);
  OPENSSL_cleanse(seed.data(), seed.size());
  for (std::string_view part : {std::string_view(scope.region), std::string_view(scope.service),
                                std::string_view("aws4_request")})
    key = HmacSha256(key, part);
  out.signature = Hex(HmacSha256(key, out.string_to_sign));
  OPENSSL_cleanse(key.data(), key.size());

  out.authorization = StoreCat(kAlgorithm, " Credential=", credentials.access_key_id, "/",
                               out.credential_scope, ", SignedHeaders=", out.signed_headers,
                               ", Signature=", out.signature);
  return out;
}

}  // namespace coffer
