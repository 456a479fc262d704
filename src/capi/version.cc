// Runtime version and built-in defaults.
#include <string_view>

#include "chunk/chunker.h"
#include "coffer/coffer.h"
#include "crypto/password_kdf.h"
#include "repo/config.h"

// The header's macros and the CMake project version must agree.
static_assert(std::string_view(COFFER_VERSION_FROM_BUILD) == COFFER_VERSION_STRING,
              "COFFER_VERSION_* in coffer.h must match project(VERSION) in CMakeLists.txt");

extern "C" {

COFFER_API const char* coffer_version(void) { return COFFER_VERSION_STRING; }
COFFER_API unsigned coffer_version_number(void) { return COFFER_VERSION_NUMBER; }

COFFER_API uint32_t coffer_default_pack_size(void) { return coffer::kDefaultPackSize; }
COFFER_API uint32_t coffer_default_chunk_min_size(void) { return coffer::ChunkerParams{}.min_size; }
COFFER_API uint32_t coffer_default_chunk_avg_size(void) { return coffer::ChunkerParams{}.avg_size; }
COFFER_API uint32_t coffer_default_chunk_max_size(void) { return coffer::ChunkerParams{}.max_size; }
COFFER_API uint64_t coffer_default_kdf_ops_limit(void) { return coffer::KdfParams{}.ops_limit; }
COFFER_API uint64_t coffer_default_kdf_mem_limit(void) { return coffer::KdfParams{}.mem_limit; }

}  // extern "C"
