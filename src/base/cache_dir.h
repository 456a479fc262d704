// Where coffer keeps local caches (the files cache, the index cache): one
// folder per repository under it, named by the repository id.
#pragma once

#include <filesystem>

namespace coffer {

// $XDG_CACHE_HOME/coffer, else $HOME/.cache/coffer, else /tmp/coffer-cache-<uid>.
std::filesystem::path DefaultCacheDir();

}  // namespace coffer
