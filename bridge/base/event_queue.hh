// A bounded queue from a worker thread to the daemon's main thread, with an
// eventfd that polls readable exactly while the queue holds something, so
// the main loop waits on it together with Broker's descriptor.
//
// Unlike the subscriber's queue (which must drop: pub/sub cannot push back),
// the producers here read from Redis at their own pace (a snapshot, a
// consumer group), so a full queue makes the producer wait: nothing is lost
// and memory stays bounded.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "base/event_fd.hh"

namespace zrb {

template <class T>
class EventQueue {
 public:
  explicit EventQueue(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

  /// Producer: appends `item`, waiting while the queue is full. False (item
  /// dropped) once close() was called.
  bool push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    if (items_.empty()) event_.raise();
    items_.push_back(std::move(item));
    return true;
  }

  /// Consumer: moves up to `max` items, oldest first, to the end of `out`.
  size_t poll(std::vector<T>& out, size_t max) {
    size_t n = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      n = std::min(max, items_.size());
      for (size_t i = 0; i < n; ++i) {
        out.push_back(std::move(items_.front()));
        items_.pop_front();
      }
      if (n > 0 && items_.empty()) event_.lower();
    }
    if (n > 0) space_.notify_all();
    return n;
  }

  /// Any thread: wakes a waiting push() and refuses later ones.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    space_.notify_all();
  }

  /// Readable while items are queued.
  int fd() const { return event_.get(); }

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable space_;
  std::deque<T> items_;
  bool closed_ = false;
  EventFd event_;
};

}  // namespace zrb
