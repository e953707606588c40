// An eventfd that is readable exactly while a queue shared between threads
// holds something: the producer raises it when the queue becomes non-empty,
// the consumer lowers it when it takes the last element, both under the
// queue's lock. The consumer's thread polls it with its other descriptors.
#pragma once

namespace zrb {

class EventFd {
 public:
  /// Throws std::system_error if the kernel refuses.
  EventFd();
  ~EventFd();
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;

  /// Makes the descriptor readable (idempotent while raised).
  void raise() const;
  /// Makes it unreadable again.
  void lower() const;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace zrb
