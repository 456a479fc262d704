#include "base/buffer_pool.h"

#include <catch2/catch.hpp>

namespace coffer {
namespace {

TEST_CASE("buffer pool hands back a given buffer's storage, empty") {
  BufferPool pool(2, 1 << 20);
  Bytes b(1000, 7);
  const uint8_t* storage = b.data();
  pool.Give(std::move(b));
  CHECK(pool.idle_buffers() == 1);
  Bytes again = pool.Take();
  CHECK(again.empty());
  CHECK(again.capacity() >= 1000);
  CHECK(again.data() == storage);
  CHECK(pool.idle_buffers() == 0);
  CHECK(pool.Take().capacity() == 0);  // nothing idle: a new, empty buffer
}

TEST_CASE("buffer pool keeps at most its bound and drops oversized buffers") {
  BufferPool pool(2, 4096);
  for (int i = 0; i < 5; ++i) pool.Give(Bytes(100));
  CHECK(pool.idle_buffers() == 2);
  pool.Take();
  pool.Take();
  pool.Give(Bytes(8192));  // larger than max_capacity: freed, not kept
  pool.Give(Bytes());      // no storage: nothing worth keeping
  CHECK(pool.idle_buffers() == 0);
}

}  // namespace
}  // namespace coffer
