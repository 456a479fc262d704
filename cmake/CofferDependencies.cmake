# Every dependency comes from a Debian 12 package; see README for the list.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(pugixml CONFIG REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)

add_library(coffer_deps INTERFACE)
target_link_libraries(coffer_deps INTERFACE
  absl::status absl::statusor absl::strings absl::str_format absl::flat_hash_map
  absl::flat_hash_set absl::synchronization absl::time absl::span
  nlohmann_json::nlohmann_json CURL::libcurl OpenSSL::Crypto pugixml::pugixml
  PkgConfig::SODIUM PkgConfig::LZ4 PkgConfig::ZSTD PkgConfig::XXHASH
  Threads::Threads)
