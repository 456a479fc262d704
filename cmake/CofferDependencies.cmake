# Every dependency comes from a Debian 12 package; see README for the list.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(pugixml CONFIG REQUIRED)
# Prefixed names: cofferConfig.cmake recreates these targets in the scope of
# programs that link libcoffer.a, where short names like SODIUM could clash.
pkg_check_modules(COFFER_SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(COFFER_LZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(COFFER_ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(COFFER_XXHASH REQUIRED IMPORTED_TARGET libxxhash)

add_library(coffer_deps INTERFACE)
target_link_libraries(coffer_deps INTERFACE
  absl::status absl::statusor absl::strings absl::str_format absl::flat_hash_map
  absl::flat_hash_set absl::synchronization absl::time absl::span
  $<BUILD_INTERFACE:nlohmann_json::nlohmann_json> CURL::libcurl OpenSSL::Crypto pugixml::pugixml
  PkgConfig::COFFER_SODIUM PkgConfig::COFFER_LZ4 PkgConfig::COFFER_ZSTD PkgConfig::COFFER_XXHASH
  Threads::Threads)
# nlohmann/json is header-only and used only inside the library: programs that
# link libcoffer.a (through the installed CMake package) do not need it.
