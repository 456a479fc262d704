// A fixed set of worker threads fed through a bounded queue. Submit blocks
// while the queue is full, which is the back-pressure that keeps a pipeline's
// memory bounded.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace coffer {

class WorkQueue {
 public:
  // REQUIRES: threads >= 1, max_queued >= 1.
  WorkQueue(int threads, size_t max_queued);
  ~WorkQueue();  // runs everything already submitted, then joins
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Submit(std::function<void()> task);
  // Blocks until every submitted task has finished.
  void Wait();
  // Like Wait, but gives up after `ms` milliseconds; true when idle.
  bool WaitFor(int ms);

 private:
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable work_ready_, space_ready_, idle_;
  std::deque<std::function<void()>> queue_;
  size_t max_queued_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace coffer
