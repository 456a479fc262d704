// Small repositories for tests: cheap Argon2id parameters and small chunks
// so tests exercise multi-chunk files and several packs quickly.
#pragma once

#include <memory>
#include <string>

#include "crypto/password_kdf.h"
#include "crypto/secret.h"
#include "repo/repository.h"
#include "store/local_store.h"
#include "store/memory_store.h"

namespace coffer::testing {

inline KdfParams FastKdf() {
  KdfParams kdf;
  kdf.ops_limit = 1;
  kdf.mem_limit = 64 * 1024;
  kdf.salt = RandomBytes(16);
  return kdf;
}

inline InitOptions SmallRepoOptions() {
  InitOptions o;
  o.chunker = ChunkerParams{4 * 1024, 16 * 1024, 64 * 1024};
  o.pack_size = 1 << 20;
  o.kdf = FastKdf();
  return o;
}

inline std::unique_ptr<Repository> MustInit(std::unique_ptr<Store> store, const std::string& password = "secret",
                                            InitOptions options = SmallRepoOptions()) {
  auto repo = Repository::Init(std::move(store), password, options);
  if (!repo.ok()) throw std::runtime_error(std::string(repo.status().message()));
  return std::move(*repo);
}

}  // namespace coffer::testing
