// A fixed-size array of trivially copyable values for large in-memory tables
// (the index). Unlike std::vector it does not zero-fill on creation and large
// arrays are backed by anonymous mappings that ask for transparent huge pages,
// which matters for random lookups over hundreds of megabytes (TLB misses).
// Its size is exactly what it holds: bytes() is the memory it uses (rounded up
// to whole pages for mapped arrays).
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

namespace coffer {

namespace pod_array_internal {
// Contents are unspecified (mapped arrays start zeroed, small ones do not).
void* Allocate(size_t bytes);
void Free(void* p, size_t bytes);
// What Allocate(bytes) really takes from the system.
size_t AllocatedBytes(size_t bytes);
}  // namespace pod_array_internal

template <typename T>
class PodArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  PodArray() = default;
  // Uninitialised contents.
  explicit PodArray(size_t n) : size_(n) {
    if (n > 0) data_ = static_cast<T*>(pod_array_internal::Allocate(n * sizeof(T)));
  }
  PodArray(size_t n, const T& value) : PodArray(n) {
    for (size_t i = 0; i < n; ++i) data_[i] = value;
  }
  ~PodArray() { Release(); }
  PodArray(const PodArray& other) : PodArray(other.size_) {
    if (size_ > 0) std::memcpy(data_, other.data_, size_ * sizeof(T));
  }
  PodArray& operator=(const PodArray& other) {
    if (this != &other) *this = PodArray(other);
    return *this;
  }
  PodArray(PodArray&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  PodArray& operator=(PodArray&& other) noexcept {
    if (this != &other) {
      Release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  size_t bytes() const { return size_ == 0 ? 0 : pod_array_internal::AllocatedBytes(size_ * sizeof(T)); }

 private:
  void Release() {
    if (data_ != nullptr) pod_array_internal::Free(data_, size_ * sizeof(T));
    data_ = nullptr;
    size_ = 0;
  }
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace coffer
