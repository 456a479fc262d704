// SAS tokens for the Azure store tests, signed with an account key the way
// Microsoft's REST reference specifies ("Create an account SAS", "Create a
// service SAS", version 2020-12-06 and later), so the tests can hand the store
// a SAS that a real server (Azurite) checks.
#pragma once

#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace coffer::testing {

struct AzureSasRequest {
  std::string account;
  std::string key_base64;
  std::string permissions = "rwdlac";  // sp
  absl::Time expiry = absl::Now() + absl::Hours(1);
  std::string version = "2021-08-06";  // sv
};

// The account SAS string to sign:
//   account \n sp \n ss \n srt \n st \n se \n sip \n spr \n sv \n ses \n
// with ss=b, srt=sco, spr=https,http and no start, IP or encryption scope.
std::string AzureAccountSasStringToSign(const AzureSasRequest& request);
// "sv=…&ss=b&srt=sco&sp=…&se=…&spr=https,http&sig=…" (query-encoded).
std::string MakeAzureAccountSas(const AzureSasRequest& request);

// A service SAS for one container (sr=c): its string to sign is
//   sp \n st \n se \n /blob/ACCOUNT/CONTAINER \n si \n sip \n spr \n sv \n sr \n
//   snapshot \n ses \n rscc \n rscd \n rsce \n rscl \n rsct
std::string AzureContainerSasStringToSign(const AzureSasRequest& request,
                                          std::string_view container);
std::string MakeAzureContainerSas(const AzureSasRequest& request, std::string_view container);

}  // namespace coffer::testing
