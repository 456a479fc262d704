/* The version in three places must agree: project(VERSION) in CMakeLists.txt
 * (passed in as EXPECTED_*), the COFFER_VERSION_* macros of coffer.h, and
 * the runtime functions of the library actually loaded. */
#include <stdio.h>
#include <string.h>

#include "coffer/coffer.h"

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "version_check: FAIL: %s\n", what);
    failures++;
  }
}

int main(void) {
  unsigned major = 0, minor = 0, patch = 0;
  char rest = 0;
  const char* runtime = coffer_version();

  expect(COFFER_VERSION_MAJOR == EXPECTED_MAJOR, "COFFER_VERSION_MAJOR == project major");
  expect(COFFER_VERSION_MINOR == EXPECTED_MINOR, "COFFER_VERSION_MINOR == project minor");
  expect(COFFER_VERSION_PATCH == EXPECTED_PATCH, "COFFER_VERSION_PATCH == project patch");
  expect(strcmp(COFFER_VERSION_STRING, EXPECTED_STRING) == 0,
         "COFFER_VERSION_STRING == project(VERSION)");
  expect(COFFER_VERSION_NUMBER ==
             COFFER_VERSION_MAJOR * 10000 + COFFER_VERSION_MINOR * 100 + COFFER_VERSION_PATCH,
         "COFFER_VERSION_NUMBER == MAJOR * 10000 + MINOR * 100 + PATCH");

  expect(runtime != NULL && strcmp(runtime, COFFER_VERSION_STRING) == 0,
         "coffer_version() == COFFER_VERSION_STRING");
  expect(coffer_version_number() == COFFER_VERSION_NUMBER,
         "coffer_version_number() == COFFER_VERSION_NUMBER");
  expect(runtime != NULL && sscanf(runtime, "%u.%u.%u%c", &major, &minor, &patch, &rest) == 3,
         "coffer_version() has the form MAJOR.MINOR.PATCH");
  expect(coffer_version_number() == major * 10000 + minor * 100 + patch,
         "coffer_version_number() encodes coffer_version()");

  printf("version_check: header %s (%d), library %s (%u), project %s: %s\n",
         COFFER_VERSION_STRING, COFFER_VERSION_NUMBER, runtime ? runtime : "(null)",
         coffer_version_number(), EXPECTED_STRING, failures ? "MISMATCH" : "all agree");
  return failures == 0 ? 0 : 1;
}
