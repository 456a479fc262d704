#include "store/store_errors.h"

#include <string>

#include "base/status_macros.h"
#include "store/store.h"

namespace coffer {

absl::Status ObjectError(absl::StatusCode code, std::string_view store, std::string_view name,
                         std::string_view what) {
  return absl::Status(code, StoreCat(store, ": object ", name, ": ", what));
}

absl::Status CheckObjectName(std::string_view store, std::string_view name) {
  return Annotate(ValidateObjectName(name), store);
}

absl::Status CheckObjectRange(std::string_view store, std::string_view name, uint64_t size,
                              uint64_t offset, uint64_t length) {
  // Written so that offset + length cannot overflow.
  if (offset <= size && length <= size - offset) return absl::OkStatus();
  return ObjectError(absl::StatusCode::kInvalidArgument, store, name,
                     StoreCat("range [", offset, ", +", length, ") lies beyond the end of the ",
                              size, "-byte object"));
}

}  // namespace coffer
