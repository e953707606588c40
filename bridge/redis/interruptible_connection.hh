// A Redis connection that one thread owns and uses with blocking I/O, and
// that another thread can interrupt: interrupt() shuts its socket down, so a
// read waiting for Redis returns at once, and refuses every later install(),
// so a connection made while stopping is never used. The lock only guards
// replacing the connection, which is what makes shutting it down from
// another thread safe against a close and a reuse of the descriptor.
#pragma once

#include <mutex>
#include <optional>

#include "redis/redis_context.hh"

namespace zrb {

class InterruptibleConnection {
 public:
  /// Owning thread: keeps `conn`, unless interrupt() was called (false).
  bool install(RedisContext&& conn);
  /// Owning thread: closes the connection.
  void reset();
  /// Any thread: ends blocking I/O now and refuses later installs.
  void interrupt();

  /// Owning thread: whether a connection is installed.
  explicit operator bool() const { return conn_.has_value(); }
  /// Owning thread: the connection; only valid after a successful install().
  RedisContext* operator->() { return &*conn_; }

 private:
  std::mutex mutex_;
  std::optional<RedisContext> conn_;
  int fd_ = -1;
  bool interrupted_ = false;
};

}  // namespace zrb
