#include "policy/json_fields.h"

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"

namespace coffer {
namespace {

// Levenshtein distance, for "did you mean" suggestions on short field names.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

const char* TypeName(const nlohmann::json& value) {
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return "null";
}

}  // namespace

std::string PolicyFieldName(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return absl::StrCat(std::string(parent), ".", std::string(key));
}

absl::Status PolicyFieldError(std::string_view field, std::string_view message) {
  if (field.empty()) return absl::InvalidArgumentError(std::string(message));
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(message)));
}

absl::Status RequirePolicyObject(const nlohmann::json& value, std::string_view field) {
  if (value.is_object()) return absl::OkStatus();
  return PolicyFieldError(field.empty() ? "policy" : field,
                          absl::StrCat("must be a JSON object, not ", TypeName(value)));
}

absl::Status RejectUnknownPolicyFields(const nlohmann::json& object, std::string_view field,
                                       std::initializer_list<std::string_view> known) {
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string message = absl::StrCat("unknown field \"", key, "\"");
    std::string_view best;
    size_t best_distance = 3;  // suggest only close matches
    for (std::string_view candidate : known) {
      size_t d = EditDistance(key, candidate);
      if (d < best_distance) {
        best_distance = d;
        best = candidate;
      }
    }
    if (!best.empty()) absl::StrAppend(&message, " (did you mean \"", std::string(best), "\"?)");
    return PolicyFieldError(field, message);
  }
  return absl::OkStatus();
}

absl::Status ReadPolicyString(const nlohmann::json& object, std::string_view parent,
                              std::string_view key, std::string* out, bool allow_empty) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  std::string field = PolicyFieldName(parent, key);
  if (!it->is_string())
    return PolicyFieldError(field, absl::StrCat("must be a string, not ", TypeName(*it)));
  const auto& text = it->get_ref<const std::string&>();
  if (text.empty() && !allow_empty) return PolicyFieldError(field, "must not be empty");
  *out = text;
  return absl::OkStatus();
}

absl::Status ReadPolicyInt(const nlohmann::json& object, std::string_view parent,
                           std::string_view key, int* out) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  std::string field = PolicyFieldName(parent, key);
  if (!it->is_number_integer())
    return PolicyFieldError(field, absl::StrCat("must be an integer, not ", TypeName(*it)));
  if (it->is_number_unsigned()) {
    auto value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(INT_MAX))
      return PolicyFieldError(field, absl::StrCat("must be at most ", INT_MAX));
    *out = static_cast<int>(value);
    return absl::OkStatus();
  }
  auto value = it->get<int64_t>();
  if (value < INT_MIN || value > INT_MAX)
    return PolicyFieldError(field, absl::StrCat("must be at most ", INT_MAX));
  *out = static_cast<int>(value);
  return absl::OkStatus();
}

absl::Status ReadPolicyStringList(const nlohmann::json& object, std::string_view parent,
                                  std::string_view key, std::vector<std::string>* out) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  std::string field = PolicyFieldName(parent, key);
  if (!it->is_array())
    return PolicyFieldError(field,
                            absl::StrCat("must be an array of strings, not ", TypeName(*it)));
  std::vector<std::string> values;
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& item = (*it)[i];
    if (!item.is_string() || item.get_ref<const std::string&>().empty())
      return PolicyFieldError(absl::StrCat(field, "[", i, "]"), "must be a non-empty string");
    values.push_back(item.get<std::string>());
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::Status ParsePolicyJsonText(std::string_view text, std::string_view what,
                                 nlohmann::json* out) {
  try {
    *out = nlohmann::json::parse(text);
    return absl::OkStatus();
  } catch (const nlohmann::json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    std::string_view detail = e.what();
    if (size_t bracket = detail.find("] "); bracket != detail.npos)
      detail.remove_prefix(bracket + 2);
    return PolicyFieldError(what, absl::StrCat("not valid JSON: ", std::string(detail)));
  }
}

}  // namespace coffer
