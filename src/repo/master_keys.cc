#include "repo/master_keys.h"

#include "hash/keyed_hash.h"

namespace coffer {

MasterKeys MasterKeys::Generate() {
  MasterKeys keys;
  keys.id_key = Key32::Random();
  keys.index_key = Key32::Random();
  KeyPair pair = KeyPair::Generate();
  keys.public_key = pair.public_key;
  keys.secret_key = pair.secret_key;
  return keys;
}

Key32 MasterKeys::ChunkerSeed() const {
  KeyedHasher hasher(id_key.view());
  Id seed = hasher.Hash(AsBytes("coffer chunker gear table v1"));
  return Key32::FromBytes(seed.bytes);
}

}  // namespace coffer
