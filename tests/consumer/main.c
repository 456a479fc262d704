/* A program outside the coffer tree that uses an *installed* coffer through
 * its C API only (built by tests/consumer/run_consumer.py against a
 * temporary install prefix, once through find_package and once through
 * pkg-config).
 *
 *   consumer roundtrip WORK_DIR SOURCE_DIR
 *       creates WORK_DIR/repo, backs SOURCE_DIR up, restores the snapshot
 *       into WORK_DIR/restored and checks that the restored tree equals
 *       SOURCE_DIR: same entries, same types, same bytes.
 *   consumer compare DIR_A DIR_B
 *       only the comparison (lets the test prove that it detects a change).
 *
 * Exit status 0 when everything matches, 1 on a mismatch or a failed call,
 * 2 on bad usage. */
#define _XOPEN_SOURCE 700 /* realpath, S_IFMT */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <coffer/coffer.h>

#define PASSWORD "consumer-test-password"

static int failed(const char* what, coffer_status status, coffer_error* err) {
  fprintf(stderr, "consumer: %s failed: %s: %s\n", what, coffer_status_name(status),
          coffer_error_message(err));
  coffer_error_free(err);
  return 1;
}

static int join(char* out, size_t cap, const char* a, const char* b) {
  int n = snprintf(out, cap, "%s/%s", a, b);
  if (n < 0 || (size_t)n >= cap) {
    fprintf(stderr, "consumer: path too long: %s/%s\n", a, b);
    return 1;
  }
  return 0;
}

/* 0 when both regular files hold the same bytes. */
static int same_bytes(const char* a, const char* b) {
  FILE* fa = fopen(a, "rb");
  FILE* fb = fopen(b, "rb");
  char ba[65536], bb[65536];
  int rc = 1;
  if (fa == NULL || fb == NULL) {
    fprintf(stderr, "consumer: cannot open %s\n", fa == NULL ? a : b);
    goto done;
  }
  for (;;) {
    size_t na = fread(ba, 1, sizeof ba, fa);
    size_t nb = fread(bb, 1, sizeof bb, fb);
    if (na != nb || memcmp(ba, bb, na) != 0) {
      fprintf(stderr, "consumer: content differs: %s vs %s\n", a, b);
      goto done;
    }
    if (na == 0) break;
  }
  rc = ferror(fa) || ferror(fb);
  if (rc) fprintf(stderr, "consumer: read error comparing %s and %s\n", a, b);
done:
  if (fa != NULL) fclose(fa);
  if (fb != NULL) fclose(fb);
  return rc;
}

/* Every entry below `a` exists below `b` with the same type (and, for
 * regular files, the same bytes when `contents` is non-zero). Counts the
 * regular files seen in *files. */
static int covers(const char* a, const char* b, int contents, unsigned long* files) {
  DIR* dir = opendir(a);
  struct dirent* e;
  int rc = 0;
  if (dir == NULL) {
    fprintf(stderr, "consumer: cannot list %s: %s\n", a, strerror(errno));
    return 1;
  }
  while (rc == 0 && (e = readdir(dir)) != NULL) {
    char pa[PATH_MAX], pb[PATH_MAX];
    struct stat sa, sb;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (join(pa, sizeof pa, a, e->d_name) || join(pb, sizeof pb, b, e->d_name)) {
      rc = 1;
    } else if (lstat(pa, &sa) != 0) {
      fprintf(stderr, "consumer: cannot stat %s\n", pa);
      rc = 1;
    } else if (lstat(pb, &sb) != 0) {
      fprintf(stderr, "consumer: missing: %s (for %s)\n", pb, pa);
      rc = 1;
    } else if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
      fprintf(stderr, "consumer: type differs: %s vs %s\n", pa, pb);
      rc = 1;
    } else if (S_ISDIR(sa.st_mode)) {
      rc = covers(pa, pb, contents, files);
    } else if (S_ISREG(sa.st_mode)) {
      ++*files;
      if (contents && (sa.st_size != sb.st_size || same_bytes(pa, pb) != 0)) {
        if (sa.st_size != sb.st_size)
          fprintf(stderr, "consumer: size differs: %s vs %s\n", pa, pb);
        rc = 1;
      }
    }
  }
  closedir(dir);
  return rc;
}

/* 0 when the trees hold the same entries and the same file contents. */
static int compare_trees(const char* a, const char* b) {
  unsigned long files_a = 0, files_b = 0;
  if (covers(a, b, 1, &files_a) != 0 || covers(b, a, 0, &files_b) != 0) return 1;
  if (files_a == 0) {
    fprintf(stderr, "consumer: %s holds no files: nothing was compared\n", a);
    return 1;
  }
  printf("consumer: %lu files identical in %s and %s\n", files_a, a, b);
  return 0;
}

/* Non-zero when the JSON text has a member `name` whose value starts with
 * `value` (enough for the flat results checked here). */
static int json_member_is(const char* json, const char* name, const char* value) {
  char key[64];
  const char* p;
  if (snprintf(key, sizeof key, "\"%s\"", name) >= (int)sizeof key) return 0;
  p = strstr(json, key);
  if (p == NULL) return 0;
  p += strlen(key);
  while (*p == ' ' || *p == ':') ++p;
  return strncmp(p, value, strlen(value)) == 0;
}

static int roundtrip(const char* work, const char* source) {
  char repo_dir[PATH_MAX], cache_dir[PATH_MAX], target[PATH_MAX], restored[PATH_MAX];
  char source_abs[PATH_MAX];
  coffer_init_options* init = NULL;
  coffer_backup_options* backup = NULL;
  coffer_restore_options* restore = NULL;
  coffer_repo* repo = NULL;
  coffer_error* err = NULL;
  coffer_status s;
  char* json = NULL;
  int rc = 1;

  if (realpath(source, source_abs) == NULL) {
    fprintf(stderr, "consumer: %s: %s\n", source, strerror(errno));
    return 1;
  }
  if (join(repo_dir, sizeof repo_dir, work, "repo") || join(cache_dir, sizeof cache_dir, work, "cache") ||
      join(target, sizeof target, work, "restored") ||
      /* Files are restored under TARGET with their full snapshot path. */
      join(restored, sizeof restored, target, source_abs + 1))
    return 1;

  init = coffer_init_options_new();
  backup = coffer_backup_options_new();
  restore = coffer_restore_options_new();
  if (init == NULL || backup == NULL || restore == NULL) {
    fprintf(stderr, "consumer: out of memory\n");
    goto done;
  }
  /* A cheap key derivation: this password protects only test data. */
  s = coffer_init_options_set_kdf(init, 1, 1024 * 1024, &err);
  if (s != COFFER_OK) { rc = failed("coffer_init_options_set_kdf", s, err); goto done; }
  s = coffer_repo_init(repo_dir, PASSWORD, init, &repo, &err);
  if (s != COFFER_OK) { rc = failed("coffer_repo_init", s, err); goto done; }

  s = coffer_backup_options_add_path(backup, source_abs, &err);
  if (s == COFFER_OK) s = coffer_backup_options_set_cache_dir(backup, cache_dir, &err);
  if (s == COFFER_OK) s = coffer_backup(repo, backup, &json, &err);
  if (s != COFFER_OK) { rc = failed("backup", s, err); goto done; }
  printf("consumer: backup: %s\n", json);
  if (!json_member_is(json, "partial", "false")) {
    fprintf(stderr, "consumer: the snapshot is partial\n");
    goto done;
  }
  coffer_free(json);
  json = NULL;

  /* A fresh handle, as another process would open it. */
  coffer_repo_close(repo);
  repo = NULL;
  s = coffer_repo_open(repo_dir, PASSWORD, &repo, &err);
  if (s != COFFER_OK) { rc = failed("coffer_repo_open", s, err); goto done; }
  s = coffer_restore_options_set_target(restore, target, &err);
  if (s == COFFER_OK) s = coffer_restore(repo, restore, &json, &err);
  if (s != COFFER_OK) { rc = failed("restore", s, err); goto done; }
  printf("consumer: restore: %s\n", json);

  rc = compare_trees(source_abs, restored);

done:
  coffer_free(json);
  coffer_restore_options_free(restore);
  coffer_backup_options_free(backup);
  coffer_init_options_free(init);
  coffer_repo_close(repo);
  return rc;
}

int main(int argc, char** argv) {
  printf("consumer: header %s, library %s\n", COFFER_VERSION_STRING, coffer_version());
  if (coffer_version_number() != COFFER_VERSION_NUMBER) {
    fprintf(stderr, "consumer: header and library versions differ\n");
    return 1;
  }
  if (argc == 4 && strcmp(argv[1], "roundtrip") == 0) return roundtrip(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "compare") == 0) return compare_trees(argv[2], argv[3]);
  fprintf(stderr, "usage: %s roundtrip WORK_DIR SOURCE_DIR | compare DIR_A DIR_B\n", argv[0]);
  return 2;
}
