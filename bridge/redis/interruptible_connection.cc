#include "redis/interruptible_connection.hh"

#include <sys/socket.h>

namespace zrb {

bool InterruptibleConnection::install(RedisContext&& conn) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (interrupted_) return false;
  conn_.emplace(std::move(conn));
  fd_ = conn_->fd();
  return true;
}

void InterruptibleConnection::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  fd_ = -1;
  conn_.reset();
}

void InterruptibleConnection::interrupt() {
  std::lock_guard<std::mutex> lock(mutex_);
  interrupted_ = true;
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace zrb
