#include "store/aws_shared_config.h"

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "store/store_errors.h"

namespace coffer {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(std::string(s)); }

}  // namespace

std::optional<AwsProfileSettings> ParseAwsSharedConfigSection(std::string_view text,
                                                              std::string_view section) {
  std::optional<AwsProfileSettings> out;
  bool in_section = false;
  std::string nested_parent;  // The key of an open nested block, if any.
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      // Section names are compared with inner runs of spaces as written, but
      // trimmed: "[ profile x ]" is "profile x".
      std::string_view name = Trim(
          line.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
      in_section = name == section;
      if (in_section && !out) out.emplace();
      nested_parent.clear();
      continue;
    }
    if (!in_section) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key = Lower(Trim(line.substr(0, eq)));
    std::string_view value = Trim(line.substr(eq + 1));
    if (key.empty()) continue;
    if (indented && !nested_parent.empty()) {
      (*out)[nested_parent + "." + key] = std::string(value);
      continue;
    }
    nested_parent = value.empty() ? key : "";
    (*out)[key] = std::string(value);
  }
  return out;
}

std::string AwsConfigSection(std::string_view profile) {
  return profile == "default" ? "default" : StoreCat("profile ", profile);
}

absl::StatusOr<std::optional<AwsProfileSettings>> ReadAwsSharedConfigSection(
    const std::string& path, std::string_view section) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return std::optional<AwsProfileSettings>();
    std::string why = std::generic_category().message(err);
    if (err == EACCES || err == EPERM)
      return absl::PermissionDeniedError(StoreCat("cannot read ", path, ": ", why));
    return absl::UnavailableError(StoreCat("cannot read ", path, ": ", why));
  }
  std::string text;
  char buffer[4096];
  size_t n;
  // A credentials file is small; a huge one is not ours to slurp.
  constexpr size_t kMaxBytes = 1 << 20;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0 && text.size() < kMaxBytes)
    text.append(buffer, n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return absl::UnavailableError(StoreCat("cannot read ", path, ": read error"));
  if (text.size() >= kMaxBytes)
    return absl::InvalidArgumentError(
        StoreCat(path, " is larger than 1 MiB; not an AWS config file"));
  return ParseAwsSharedConfigSection(text, section);
}

}  // namespace coffer
