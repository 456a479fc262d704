// Object lock (immutability): stores that can protect every object they
// write from deletion and overwrite until a retain-until time. S3 Object Lock
// (retention mode and retain-until-date headers), Azure Blob version-level
// immutability (a blob immutability policy) and GCS object retention
// implement it; the repository config says whether a repository uses it
// (docs/FORMAT.md, "Config").
//
// The request pieces for each provider are plain functions, so the exact
// headers and bodies can be tested against the providers' documentation
// without a server that implements them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace coffer {

// governance: privileged users may still shorten or remove the retention
// (S3 GOVERNANCE; Azure and GCS "Unlocked"). compliance: nobody can, not even
// the account owner, until it expires (S3 COMPLIANCE; "Locked").
enum class RetentionMode { kGovernance, kCompliance };

struct ObjectLockPolicy {
  uint32_t days = 0;  // every new object is retained this long after its upload
  RetentionMode mode = RetentionMode::kGovernance;
};

std::string_view RetentionModeName(RetentionMode mode);  // "governance", "compliance"
std::optional<RetentionMode> ParseRetentionMode(std::string_view name);
absl::Time RetainUntil(const ObjectLockPolicy& policy, absl::Time now);
// Objects that get retention: everything but lock objects (locks/) and the
// mirror journal (mirror/), which must stay deletable.
bool IsRetainedObject(std::string_view name);

// Implemented (besides Store) by stores that can lock objects; decorators
// forward it. Find it with ObjectLockOf().
class ObjectLockable {
 public:
  virtual ~ObjectLockable() = default;
  // From now on every object this store writes (IsRetainedObject) carries
  // retention until upload time + policy.days. Unimplemented when the store
  // (or the one a decorator wraps) cannot lock objects.
  virtual absl::Status EnableObjectLock(const ObjectLockPolicy& policy) = 0;
  // Until when `name` is protected; absl::InfinitePast() when it is not.
  virtual absl::StatusOr<absl::Time> RetainedUntil(std::string_view name) = 0;
  // Moves the object's retain-until time to `until` (never shortens it).
  virtual absl::Status ExtendRetention(std::string_view name, absl::Time until) = 0;
};

// The store's ObjectLockable side, or nullptr.
ObjectLockable* ObjectLockOf(Store& store);

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

// S3 PutObject / CreateMultipartUpload: x-amz-object-lock-mode
// (GOVERNANCE|COMPLIANCE) and x-amz-object-lock-retain-until-date (ISO 8601,
// UTC, e.g. 2026-12-27T02:40:00.000Z). S3 also requires Content-MD5 (or an
// x-amz-checksum-*) on such PUTs; the S3 store always sends Content-MD5.
HeaderPairs S3ObjectLockHeaders(RetentionMode mode, absl::Time until);
std::string S3RetainUntilDate(absl::Time until);
// The body of PutObjectRetention (PUT /KEY?retention, with Content-MD5).
std::string S3RetentionXml(RetentionMode mode, absl::Time until);
// GetObjectRetention's answer; InfinitePast for a document without a date.
absl::StatusOr<absl::Time> ParseS3RetentionXml(std::string_view xml);

// Azure Put Blob / Put Block List / Set Blob Immutability Policy
// (?comp=immutabilityPolicies), version 2020-06-12+:
// x-ms-immutability-policy-until-date (RFC 1123) and
// x-ms-immutability-policy-mode (Unlocked|Locked).
HeaderPairs AzureImmutabilityHeaders(RetentionMode mode, absl::Time until);
// The x-ms-immutability-policy-until-date of Get Blob Properties.
absl::StatusOr<absl::Time> ParseAzureImmutabilityDate(std::string_view value);

// GCS object resource member "retention": {"mode": "Unlocked"|"Locked",
// "retainUntilTime": RFC 3339}, as JSON text (for upload metadata and PATCH).
std::string GcsRetentionJson(RetentionMode mode, absl::Time until);
// The retainUntilTime of an object resource; InfinitePast without retention.
absl::StatusOr<absl::Time> ParseGcsRetention(std::string_view object_json);

}  // namespace coffer
