#include "capi/filter.h"

#include <nlohmann/json.hpp>

#include "capi/cat.h"

namespace coffer::capi {

absl::StatusOr<ParsedFilter> ParseFilter(const char* json_text, const char* argument,
                                         bool allow_ids) {
  ParsedFilter out;
  if (json_text == nullptr) return out;
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return absl::InvalidArgumentError(Cat("argument `", argument, "` is not valid JSON"));
  if (!doc.is_object())
    return absl::InvalidArgumentError(
        Cat("argument `", argument, "` must be a JSON object like {\"hosts\": [], \"tags\": []}"));
  for (const auto& [key, value] : doc.items()) {
    std::vector<std::string>* target = nullptr;
    if (key == "hosts")
      target = &out.filter.hosts;
    else if (key == "tags")
      target = &out.filter.tags;
    else if (key == "paths")
      target = &out.filter.paths;
    else if (key == "ids" && allow_ids)
      target = &out.ids;
    if (target == nullptr)
      return absl::InvalidArgumentError(
          Cat("argument `", argument, "` has an unknown member \"", key, "\" (expected ",
              allow_ids ? "hosts, tags, paths or ids)" : "hosts, tags or paths)"));
    if (value.is_null()) continue;
    if (!value.is_array())
      return absl::InvalidArgumentError(
          Cat("argument `", argument, "`: \"", key, "\" must be an array of strings"));
    for (const auto& item : value) {
      if (!item.is_string())
        return absl::InvalidArgumentError(
            Cat("argument `", argument, "`: \"", key, "\" must be an array of strings"));
      target->push_back(item.get<std::string>());
    }
  }
  return out;
}

}  // namespace coffer::capi
