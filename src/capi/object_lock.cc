// Object lock (immutability) options; see coffer.h, "Replication".
#include <string_view>

#include "capi/error.h"
#include "capi/handles.h"
#include "store/object_lock.h"

using coffer::capi::Cat;
using coffer::capi::Fail;
using coffer::capi::Guard;

extern "C" {

COFFER_API coffer_status coffer_init_options_set_retention_lock(coffer_init_options* opts, uint32_t days,
                                                                const char* mode, coffer_error** err) {
  COFFER_CAPI_ENTRY;
  return Guard(err, [&]() -> coffer_status {
    COFFER_CAPI_REQUIRE(opts);
    if (days == 0) {
      opts->init.object_lock.reset();
      return COFFER_OK;
    }
    if (days > 36500)
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  Cat("retention lock of ", days, " days is out of range (1 to 36500)"));
    std::optional<coffer::RetentionMode> parsed =
        coffer::ParseRetentionMode(mode == nullptr ? std::string_view("governance") : std::string_view(mode));
    if (!parsed)
      return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
                  Cat("retention mode \"", mode, "\" is not \"governance\" or \"compliance\""));
    opts->init.object_lock = coffer::ObjectLockPolicy{days, *parsed};
    return COFFER_OK;
  });
}

}  // extern "C"
