#include "capi/output.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace coffer::capi {

char* CopyString(std::string_view s) {
  auto* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) throw std::bad_alloc();
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

std::string DumpJson(const nlohmann::json& doc) {
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

coffer_status ReturnJson(const nlohmann::json& doc, char** out) {
  if (out != nullptr) *out = CopyString(DumpJson(doc));
  return COFFER_OK;
}

}  // namespace coffer::capi

extern "C" COFFER_API void coffer_free(void* p) { std::free(p); }
