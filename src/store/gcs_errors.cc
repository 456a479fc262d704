#include "store/gcs_errors.h"

#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

using nlohmann::json;

constexpr size_t kMaxQuoted = 300;

std::string Printable(std::string_view text) {
  text = text.substr(0, kMaxQuoted + 1);
  std::string out;
  for (char c : text.substr(0, kMaxQuoted)) out += (c >= ' ' && c <= '~') ? c : ' ';
  if (text.size() > kMaxQuoted) out += "...";
  return std::string(absl::StripAsciiWhitespace(out));
}

struct ErrorDetail {
  std::string message;  // The server's words, printable and bounded.
  std::string reason;   // errors[0].reason, e.g. "notFound".
};

ErrorDetail ParseErrorBody(const HttpResponse& response) {
  ErrorDetail detail;
  json doc = json::parse(AsChars(response.body), nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const json& error = doc["error"];
    if (error.contains("message") && error["message"].is_string())
      detail.message = Printable(error["message"].get<std::string>());
    if (error.contains("errors") && error["errors"].is_array() && !error["errors"].empty()) {
      const json& first = error["errors"][0];
      if (first.is_object() && first.contains("reason") && first["reason"].is_string())
        detail.reason = Printable(first["reason"].get<std::string>());
    }
  } else if (!doc.is_discarded() && doc.is_object() && doc.contains("error") &&
             doc["error"].is_string()) {
    detail.message = Printable(doc["error"].get<std::string>());
  } else {
    // Plain text (the emulator's 404 for alt=media) or nothing at all.
    detail.message = Printable(AsChars(response.body));
  }
  return detail;
}

bool MentionsChecksum(std::string_view message) {
  const std::string lower = absl::AsciiStrToLower(std::string(message));
  return lower.find("crc32c") != std::string::npos || lower.find("md5") != std::string::npos;
}

}  // namespace

absl::Status GcsErrorFromResponse(const HttpResponse& response, const GcsErrorContext& context) {
  const ErrorDetail detail = ParseErrorBody(response);
  absl::StatusCode code = HttpStatusToCode(response.status);
  std::string what;
  switch (response.status) {
    case 404:
      if (context.about_bucket ||
          (absl::StrContains(absl::AsciiStrToLower(detail.message), "bucket") &&
           !absl::StrContains(absl::AsciiStrToLower(detail.message), "object")))
        what = StoreCat("bucket \"", context.bucket, "\" does not exist");
      else
        what = "not found";
      break;
    case 401:
      what = "not authenticated (the server refused the credentials)";
      break;
    case 403:
      what = "permission denied";
      break;
    case 412:
      if (context.create_if_absent) {
        code = absl::StatusCode::kAlreadyExists;
        what = "already exists";
      } else {
        what = "precondition failed";
      }
      break;
    case 416:
      what = "requested range not satisfiable";
      break;
    case 400:
      if (MentionsChecksum(detail.message)) {
        code = absl::StatusCode::kUnavailable;
        what = "the server rejected the upload as damaged on the way (checksum mismatch)";
      } else {
        what = "bad request";
      }
      break;
    case 408:
    case 429:
      what = "the server asks to slow down or try again";
      break;
    default:
      what = response.status >= 500 ? "server error" : "unexpected reply";
      break;
  }
  if (code == absl::StatusCode::kOk || code == absl::StatusCode::kUnknown)
    code = absl::StatusCode::kUnknown;
  std::string server = StoreCat("HTTP ", response.status);
  if (!detail.reason.empty()) server += StoreCat(" ", detail.reason);
  if (!detail.message.empty()) server += StoreCat(": ", detail.message);
  return absl::Status(
      code, StoreCat(context.store, ": ", context.subject, ": ", what, " (", server, ")"));
}

absl::Status GcsBadReply(const GcsErrorContext& context, std::string_view what) {
  // Unavailable: a garbled reply (a proxy's page, a cut-off body) is worth
  // another attempt, and nothing about the object is known to be wrong.
  return absl::UnavailableError(
      StoreCat(context.store, ": ", context.subject, ": unexpected reply from the server: ", what));
}

}  // namespace coffer
