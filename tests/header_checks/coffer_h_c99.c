/* coffer.h must compile as strict C99 with every warning an error, and its
 * basic entry points must link and run from C. */
#define COFFER_EXPERIMENTAL /* the experimental section must compile too */
#include <stdio.h>
#include <string.h>

#include "coffer/coffer.h"

static int on_progress(const coffer_progress* p, void* user) {
  (void)user;
  return p->phase == COFFER_PHASE_FINISHING ? 0 : 0;
}

static void on_warning(const char* path, const char* message, void* user) {
  (void)path;
  (void)message;
  (void)user;
}

static int64_t read_nothing(void* user, uint8_t* buf, size_t cap) {
  (void)user;
  (void)buf;
  (void)cap;
  return 0;
}

int main(void) {
  coffer_error* err = NULL;
  coffer_repo* repo = NULL;
  coffer_backup_options* b = coffer_backup_options_new();
  coffer_status s;
  int failures = 0;

  if (coffer_version_number() != COFFER_VERSION_NUMBER) failures++;
  if (strcmp(coffer_version(), COFFER_VERSION_STRING) != 0) failures++;
  if (strcmp(coffer_status_name(COFFER_ERROR_LOCKED), "COFFER_ERROR_LOCKED") != 0) failures++;

  coffer_backup_options_set_progress(b, on_progress, NULL);
  coffer_backup_options_set_warning(b, on_warning, NULL);
  if (coffer_backup_options_add_stream(b, "/x", read_nothing, NULL, NULL) != COFFER_OK) failures++;
  coffer_backup_options_free(b);

  s = coffer_repo_open(NULL, "pw", &repo, &err);
  if (s != COFFER_ERROR_INVALID_ARGUMENT || err == NULL || repo != NULL) failures++;
  if (coffer_error_code(err) != COFFER_ERROR_INVALID_ARGUMENT) failures++;
  if (strstr(coffer_error_message(err), "location") == NULL) failures++;
  coffer_error_free(err);

  if (failures != 0) fprintf(stderr, "capi_c99_check: %d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
