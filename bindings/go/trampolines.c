// C functions with the signatures coffer.h expects for its callbacks; each
// forwards to the exported Go function of callbacks.go. `user` carries a
// runtime/cgo.Handle, never a Go pointer.
#include <coffer/coffer.h>

#include "_cgo_export.h"

int coffer_go_progress(const coffer_progress* progress, void* user) {
  return cofferGoProgress((coffer_progress*)progress, (uintptr_t)user);
}

void coffer_go_warning(const char* path, const char* message, void* user) {
  cofferGoWarning((char*)path, (char*)message, (uintptr_t)user);
}

int64_t coffer_go_read(void* user, uint8_t* buf, size_t cap) {
  return cofferGoRead((uintptr_t)user, buf, cap);
}
