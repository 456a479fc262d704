/* c_minimal: creates a repository, backs up a directory and restores it,
 * using only the C API in coffer.h.
 *
 *   COFFER_PASSWORD=secret c_minimal REPO_DIR SOURCE_DIR TARGET_DIR
 *
 * Returns 0 on success; otherwise prints the library's message and returns
 * 1. The repository is opened if it exists already. */
#include <stdio.h>
#include <stdlib.h>

#include "coffer/coffer.h"

static int report(const char* what, coffer_status status, coffer_error* err) {
  fprintf(stderr, "c_minimal: %s failed: %s (%s)\n", what, coffer_error_message(err),
          coffer_status_name(status));
  coffer_error_free(err);
  return 1;
}

int main(int argc, char** argv) {
  const char* password = getenv("COFFER_PASSWORD");
  coffer_repo* repo = NULL;
  coffer_backup_options* backup = NULL;
  coffer_restore_options* restore = NULL;
  coffer_error* err = NULL;
  char* result = NULL;
  coffer_status status;
  int rc = 1;

  if (argc != 4 || password == NULL) {
    fprintf(stderr, "usage: COFFER_PASSWORD=... %s REPO_DIR SOURCE_DIR TARGET_DIR\n", argv[0]);
    return 2;
  }
  if (coffer_version_number() != COFFER_VERSION_NUMBER)
    fprintf(stderr, "c_minimal: note: built with coffer %s, running with %s\n",
            COFFER_VERSION_STRING, coffer_version());

  status = coffer_repo_init(argv[1], password, NULL, &repo, &err);
  if (status == COFFER_ERROR_ALREADY_EXISTS) {
    coffer_error_free(err);
    err = NULL;
    status = coffer_repo_open(argv[1], password, &repo, &err);
  }
  if (status != COFFER_OK) return report("opening the repository", status, err);

  backup = coffer_backup_options_new();
  if (backup == NULL) goto out_of_memory;
  status = coffer_backup_options_add_path(backup, argv[2], &err);
  if (status == COFFER_OK) status = coffer_backup(repo, backup, &result, &err);
  if (status != COFFER_OK) {
    rc = report("backup", status, err);
    goto done;
  }
  printf("backup: %s\n", result);
  coffer_free(result);
  result = NULL;

  restore = coffer_restore_options_new();
  if (restore == NULL) goto out_of_memory;
  status = coffer_restore_options_set_target(restore, argv[3], &err);
  if (status == COFFER_OK) status = coffer_restore(repo, restore, &result, &err);
  if (status != COFFER_OK) {
    rc = report("restore", status, err);
    goto done;
  }
  printf("restore: %s\n", result);
  coffer_free(result);
  rc = 0;
  goto done;

out_of_memory:
  fprintf(stderr, "c_minimal: out of memory\n");
done:
  coffer_restore_options_free(restore);
  coffer_backup_options_free(backup);
  coffer_repo_close(repo);
  return rc;
}
