#include "store/object_lock.h"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "store/azure_shared_key.h"

namespace coffer {

std::string_view RetentionModeName(RetentionMode mode) {
  return mode == RetentionMode::kCompliance ? "compliance" : "governance";
}

std::optional<RetentionMode> ParseRetentionMode(std::string_view name) {
  if (name == "governance") return RetentionMode::kGovernance;
  if (name == "compliance") return RetentionMode::kCompliance;
  return std::nullopt;
}

absl::Time RetainUntil(const ObjectLockPolicy& policy, absl::Time now) {
  // Whole seconds: every provider's date format carries at most those.
  return absl::FromUnixSeconds(absl::ToUnixSeconds(now)) + absl::Hours(24) * policy.days;
}

bool IsRetainedObject(std::string_view name) {
  return !name.starts_with("locks/") && !name.starts_with("mirror/");
}

ObjectLockable* ObjectLockOf(Store& store) { return dynamic_cast<ObjectLockable*>(&store); }

namespace {

// Azure and GCS name the two modes alike.
const char* UnlockedOrLocked(RetentionMode mode) {
  return mode == RetentionMode::kCompliance ? "Locked" : "Unlocked";
}

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view text, std::string_view what) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err))
    return absl::DataLossError(std::string(what) + ": not an RFC 3339 time: \"" + std::string(text) + "\"");
  return t;
}

}  // namespace

std::string S3RetainUntilDate(absl::Time until) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", until, absl::UTCTimeZone());
}

HeaderPairs S3ObjectLockHeaders(RetentionMode mode, absl::Time until) {
  return {{"x-amz-object-lock-mode", mode == RetentionMode::kCompliance ? "COMPLIANCE" : "GOVERNANCE"},
          {"x-amz-object-lock-retain-until-date", S3RetainUntilDate(until)}};
}

std::string S3RetentionXml(RetentionMode mode, absl::Time until) {
  return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                     "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>") +
         (mode == RetentionMode::kCompliance ? "COMPLIANCE" : "GOVERNANCE") + "</Mode><RetainUntilDate>" +
         S3RetainUntilDate(until) + "</RetainUntilDate></Retention>";
}

absl::StatusOr<absl::Time> ParseS3RetentionXml(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size()))
    return absl::DataLossError("S3 object retention: the answer is not XML");
  pugi::xml_node retention = doc.child("Retention");
  if (!retention) return absl::DataLossError("S3 object retention: no <Retention> element");
  std::string_view date = retention.child_value("RetainUntilDate");
  if (date.empty()) return absl::InfinitePast();
  return ParseRfc3339(date, "S3 RetainUntilDate");
}

HeaderPairs AzureImmutabilityHeaders(RetentionMode mode, absl::Time until) {
  return {{"x-ms-immutability-policy-until-date", AzureHttpDate(until)},
          {"x-ms-immutability-policy-mode", UnlockedOrLocked(mode)}};
}

absl::StatusOr<absl::Time> ParseAzureImmutabilityDate(std::string_view value) {
  if (value.empty()) return absl::InfinitePast();
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(value), absl::UTCTimeZone(), &t, &err))
    return t;
  return ParseRfc3339(value, "Azure x-ms-immutability-policy-until-date");
}

std::string GcsRetentionJson(RetentionMode mode, absl::Time until) {
  nlohmann::json doc = {{"mode", UnlockedOrLocked(mode)},
                        {"retainUntilTime", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", until, absl::UTCTimeZone())}};
  return doc.dump();
}

absl::StatusOr<absl::Time> ParseGcsRetention(std::string_view object_json) {
  nlohmann::json doc = nlohmann::json::parse(object_json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return absl::DataLossError("GCS object metadata is not a JSON object");
  auto it = doc.find("retention");
  if (it == doc.end() || !it->is_object()) return absl::InfinitePast();
  auto until = it->find("retainUntilTime");
  if (until == it->end() || !until->is_string()) return absl::InfinitePast();
  return ParseRfc3339(until->get<std::string>(), "GCS retention.retainUntilTime");
}

}  // namespace coffer
