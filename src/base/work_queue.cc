#include "base/work_queue.h"

#include <chrono>

namespace coffer {

WorkQueue::WorkQueue(int threads, size_t max_queued) : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard<std::mutex> guard(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : workers_) t.join();
}

void WorkQueue::Submit(std::function<void()> task) {
  std::unique_lock<std::mutex> guard(mu_);
  space_ready_.wait(guard, [this] { return queue_.size() < max_queued_; });
  queue_.push_back(std::move(task));
  work_ready_.notify_one();
}

void WorkQueue::Wait() {
  std::unique_lock<std::mutex> guard(mu_);
  idle_.wait(guard, [this] { return queue_.empty() && running_ == 0; });
}

bool WorkQueue::WaitFor(int ms) {
  std::unique_lock<std::mutex> guard(mu_);
  return idle_.wait_for(guard, std::chrono::milliseconds(ms),
                        [this] { return queue_.empty() && running_ == 0; });
}

void WorkQueue::WorkerLoop() {
  std::unique_lock<std::mutex> guard(mu_);
  for (;;) {
    work_ready_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    space_ready_.notify_one();
    guard.unlock();
    task();
    guard.lock();
    --running_;
    if (queue_.empty() && running_ == 0) idle_.notify_all();
  }
}

}  // namespace coffer
