// Bridges from the engine's std::function callbacks to the C callbacks.
#include "capi/error.h"
#include "capi/handles.h"

namespace coffer::capi {

coffer_status HandleBusy(coffer_error** err, const char* function) {
  return Fail(err, COFFER_ERROR_INVALID_ARGUMENT,
              Cat(function,
                  ": the coffer_repo handle is in use by another call (a handle must "
                  "not be used by two threads at once, nor from its own callbacks)"));
}

ProgressFn MakeProgressFn(const CofferCallbacks& callbacks) {
  if (callbacks.progress == nullptr) return nullptr;
  coffer_progress_fn fn = callbacks.progress;
  void* user = callbacks.progress_user;
  return [fn, user](const Progress& p) -> bool {
    coffer_progress c{};
    c.struct_size = sizeof(coffer_progress);
    switch (p.phase) {
      case Phase::kScanning:
        c.phase = COFFER_PHASE_SCANNING;
        break;
      case Phase::kBackup:
        c.phase = COFFER_PHASE_BACKUP;
        break;
      case Phase::kRestore:
        c.phase = COFFER_PHASE_RESTORE;
        break;
      case Phase::kFinishing:
        c.phase = COFFER_PHASE_FINISHING;
        break;
      case Phase::kVerifying:
        c.phase = COFFER_PHASE_VERIFYING;
        break;
    }
    c.files_done = p.files_done;
    c.files_total = p.files_total;
    c.bytes_done = p.bytes_done;
    c.bytes_total = p.bytes_total;
    c.errors = p.errors;
    c.totals_final = p.totals_final ? 1 : 0;
    c.elapsed_seconds = p.elapsed_seconds;
    c.current_path = p.current_path.c_str();
    return fn(&c, user) == 0;
  };
}

WarningFn MakeWarningFn(const CofferCallbacks& callbacks) {
  if (callbacks.warning == nullptr) return nullptr;
  coffer_warning_fn fn = callbacks.warning;
  void* user = callbacks.warning_user;
  return [fn, user](const std::string& path, const std::string& message) {
    fn(path.c_str(), message.c_str(), user);
  };
}

}  // namespace coffer::capi
