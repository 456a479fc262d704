// A small free list of byte buffers that keep their capacity.
//
// A pipeline that allocates a fresh megabyte-sized buffer per chunk or pack
// pays for zero-filling and page-faulting it in every time (and glibc hands
// such sizes straight back to the kernel). Recycling a bounded number of
// buffers keeps that memory resident instead, so the cost is paid once.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "base/bytes.h"

namespace coffer {

class BufferPool {
 public:
  // Keeps at most `max_buffers` idle buffers, none larger than
  // `max_capacity` bytes (a rare huge buffer is freed, not kept).
  BufferPool(size_t max_buffers, size_t max_capacity)
      : max_buffers_(max_buffers), max_capacity_(max_capacity) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // An empty buffer, with the capacity of one given back earlier if any.
  // Thread-safe.
  Bytes Take() {
    std::lock_guard<std::mutex> guard(mu_);
    if (free_.empty()) return Bytes();
    Bytes b = std::move(free_.back());
    free_.pop_back();
    return b;
  }

  // Returns a buffer for reuse; its contents are discarded. Thread-safe.
  void Give(Bytes&& b) {
    if (b.capacity() == 0 || b.capacity() > max_capacity_) return;
    b.clear();
    std::lock_guard<std::mutex> guard(mu_);
    if (free_.size() < max_buffers_) free_.push_back(std::move(b));
  }

  // Frees every idle buffer (when the work that needed them is over).
  void Clear() {
    std::lock_guard<std::mutex> guard(mu_);
    free_.clear();
    free_.shrink_to_fit();
  }

  size_t idle_buffers() {
    std::lock_guard<std::mutex> guard(mu_);
    return free_.size();
  }

 private:
  const size_t max_buffers_;
  const size_t max_capacity_;
  std::mutex mu_;
  std::vector<Bytes> free_;
};

}  // namespace coffer
