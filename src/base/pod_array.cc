#include "base/pod_array.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace coffer::pod_array_internal {
namespace {
// From this size on an array gets its own mapping (and huge pages when the
// kernel allows them through madvise).
constexpr size_t kMapThreshold = size_t{1} << 20;
constexpr size_t kPage = 4096;
}  // namespace

void* Allocate(size_t bytes) {
  if (bytes < kMapThreshold) {
    void* p = std::malloc(bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return p;
}

void Free(void* p, size_t bytes) {
  if (bytes < kMapThreshold) {
    std::free(p);
  } else {
    munmap(p, bytes);
  }
}

size_t AllocatedBytes(size_t bytes) {
  if (bytes < kMapThreshold) return bytes;
  return (bytes + kPage - 1) / kPage * kPage;
}

}  // namespace coffer::pod_array_internal
