// Azure Shared Key: string to sign → HMAC-SHA256 → Authorization header.
#include "store/azure_shared_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "base/base64.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

// The standard headers of the string to sign, in order, after the verb.
// Content-Length sits between Content-Language and Content-MD5 and comes from
// the body size, not from `headers`.
constexpr std::array<std::string_view, 2> kHeadersBeforeLength = {"content-encoding",
                                                                  "content-language"};
constexpr std::array<std::string_view, 8> kHeadersAfterLength = {
    "content-md5",   "content-type",        "date", "if-modified-since", "if-match",
    "if-none-match", "if-unmodified-since", "range"};

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Trims and collapses runs of white space to one space (spec step 4 and 5).
std::string CollapseWhitespace(std::string_view value) {
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

}  // namespace

std::string AzureHttpDate(absl::Time time) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", time, absl::UTCTimeZone());
}

std::string AzureHmacSha256Base64(ByteView key, std::string_view message) {
  std::array<uint8_t, 32> digest{};
  unsigned int length = 0;
  // HMAC() fails only when it cannot allocate; the zero digest is then
  // rejected by the server as a bad signature rather than crashing here.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
       &length);
  return Base64Encode(digest);
}

absl::StatusOr<std::string> AzureSharedKeyStringToSign(std::string_view account,
                                                       const AzureSharedKeyRequest& request) {
  // Standard headers by lower-case name; the first value counts (we never
  // send one twice).
  std::map<std::string, std::string> standard;
  std::map<std::string, std::string> ms_headers;  // Sorted by name: ordinal order.
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value))
      return absl::InvalidArgumentError(StoreCat(
          "Shared Key signing: header \"", HasLineBreak(name) ? "" : name, "\" has a line break"));
    std::string lower = absl::AsciiStrToLower(name);
    if (lower.starts_with("x-ms-")) {
      if (!ms_headers.emplace(lower, CollapseWhitespace(value)).second)
        return absl::InvalidArgumentError(
            StoreCat("Shared Key signing: header ", lower, " appears twice"));
    } else {
      standard.emplace(lower, value);
    }
  }
  auto standard_value = [&](std::string_view lower) -> std::string {
    auto it = standard.find(std::string(lower));
    return it == standard.end() ? std::string() : it->second;
  };

  std::string out = StoreCat(request.method, "\n");
  for (std::string_view name : kHeadersBeforeLength) out += StoreCat(standard_value(name), "\n");
  out += request.content_length == 0 ? std::string("\n") : StoreCat(request.content_length, "\n");
  for (std::string_view name : kHeadersAfterLength) out += StoreCat(standard_value(name), "\n");
  for (const auto& [name, value] : ms_headers) out += StoreCat(name, ":", value, "\n");

  out += StoreCat("/", account, request.encoded_path.empty() ? "/" : request.encoded_path);
  std::map<std::string, std::vector<std::string>> query;
  for (const auto& [name, value] : request.query) {
    if (HasLineBreak(name) || HasLineBreak(value))
      return absl::InvalidArgumentError(StoreCat("Shared Key signing: query parameter \"",
                                                 HasLineBreak(name) ? "" : name,
                                                 "\" has a line break"));
    query[absl::AsciiStrToLower(name)].push_back(value);
  }
  for (auto& [name, values] : query) {
    std::sort(values.begin(), values.end());
    out += StoreCat("\n", name, ":");
    for (size_t i = 0; i < values.size(); ++i) out += StoreCat(i == 0 ? "" : ",", values[i]);
  }
  return out;
}

absl::StatusOr<AzureSharedKeySignature> SignAzureSharedKey(const AzureSharedKeyRequest& request,
                                                           std::string_view account, ByteView key) {
  if (account.empty()) return absl::InvalidArgumentError("Shared Key signing: account is empty");
  if (request.method.empty() || HasLineBreak(request.method))
    return absl::InvalidArgumentError("Shared Key signing: bad method");
  if (key.empty()) return absl::InvalidArgumentError("Shared Key signing: account key is empty");
  AzureSharedKeySignature out;
  absl::StatusOr<std::string> string_to_sign = AzureSharedKeyStringToSign(account, request);
  if (!string_to_sign.ok()) return string_to_sign.status();
  out.string_to_sign = *std::move(string_to_sign);
  out.signature = AzureHmacSha256Base64(key, out.string_to_sign);
  out.authorization = StoreCat("SharedKey ", account, ":", out.signature);
  return out;
}

}  // namespace coffer
