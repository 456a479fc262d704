// The AWS shared configuration files (~/.aws/credentials and ~/.aws/config),
// read the way the AWS CLI reads them, for the S3 store's credential and
// region lookup. Only what coffer needs: one profile's settings as a map.
//
// Format (an INI dialect):
//  - "[name]" opens a section. In the credentials file the section name is
//    the profile name; in the config file it is "profile NAME", except the
//    default profile, which is "[default]" (AwsConfigSection gives the name).
//  - "key = value" sets a setting; keys are lower-cased, both sides trimmed.
//    The value is everything after the first '=' (secret keys may hold '=').
//  - Lines starting with '#' or ';' are comments; blank lines are ignored.
//  - A setting with an empty value followed by indented "sub = value" lines
//    is a nested block ("s3 =\n  addressing_style = path"); the nested
//    settings appear as "s3.addressing_style".
//  - A later duplicate of a section or key extends or overrides the earlier.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace coffer {

using AwsProfileSettings = std::map<std::string, std::string>;

// The settings of section `section` in `text`; nullopt when the section does
// not appear. Never fails: lines that are not settings are skipped.
std::optional<AwsProfileSettings> ParseAwsSharedConfigSection(std::string_view text,
                                                              std::string_view section);

// The section name of `profile` in the config file: "default" or "profile NAME".
std::string AwsConfigSection(std::string_view profile);

// Reads `path` and returns the section's settings: nullopt when the file or
// the section does not exist; an error naming the file when it exists but
// cannot be read (PermissionDenied or Unavailable).
absl::StatusOr<std::optional<AwsProfileSettings>> ReadAwsSharedConfigSection(
    const std::string& path, std::string_view section);

}  // namespace coffer
