#include "base/cache_dir.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace coffer {

std::filesystem::path DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::filesystem::path(xdg) / "coffer";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "coffer";
  return std::filesystem::path("/tmp") / ("coffer-cache-" + std::to_string(getuid()));
}

}  // namespace coffer
