#include "azure_test_sas.h"

#include <catch2/catch.hpp>

#include "base/base64.h"
#include "store/azure_protocol.h"
#include "store/azure_shared_key.h"
#include "store/store_errors.h"

namespace coffer::testing {
namespace {

constexpr std::string_view kProtocol = "https,http";

std::string Expiry(const AzureSasRequest& request) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", request.expiry, absl::UTCTimeZone());
}

std::string Sign(const AzureSasRequest& request, std::string_view string_to_sign) {
  std::optional<Bytes> key = Base64Decode(request.key_base64);
  REQUIRE(key.has_value());
  return AzureHmacSha256Base64(*key, string_to_sign);
}

std::string Param(std::string_view name, std::string_view value) {
  return StoreCat(name, "=", AzurePercentEncode(value, false));
}

}  // namespace

std::string AzureAccountSasStringToSign(const AzureSasRequest& request) {
  return StoreCat(request.account, "\n", request.permissions, "\nb\nsco\n\n", Expiry(request),
                  "\n\n", kProtocol, "\n", request.version, "\n\n");
}

std::string MakeAzureAccountSas(const AzureSasRequest& request) {
  return StoreCat(Param("sv", request.version), "&ss=b&srt=sco&", Param("sp", request.permissions),
                  "&", Param("se", Expiry(request)), "&", Param("spr", kProtocol), "&",
                  Param("sig", Sign(request, AzureAccountSasStringToSign(request))));
}

std::string AzureContainerSasStringToSign(const AzureSasRequest& request,
                                          std::string_view container) {
  return StoreCat(request.permissions, "\n\n", Expiry(request), "\n/blob/", request.account, "/",
                  container, "\n\n\n", kProtocol, "\n", request.version, "\nc\n\n\n\n\n\n\n");
}

std::string MakeAzureContainerSas(const AzureSasRequest& request, std::string_view container) {
  return StoreCat(Param("sv", request.version), "&sr=c&", Param("sp", request.permissions), "&",
                  Param("se", Expiry(request)), "&", Param("spr", kProtocol), "&",
                  Param("sig", Sign(request, AzureContainerSasStringToSign(request, container))));
}

}  // namespace coffer::testing
