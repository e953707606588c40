#include "redis/redis_worker.hh"

#include <pthread.h>

#include <algorithm>
#include <csignal>

#include "observe/log.hh"

namespace zrb {

RedisWorker::RedisWorker(std::string name, WorkerOptions options)
    : name_(std::move(name)),
      options_(std::move(options)),
      masked_url_(options_.url.masked()),
      backoff_(std::max(options_.backoff_initial, std::chrono::milliseconds(1)),
               std::max(options_.backoff_max, options_.backoff_initial)) {}

void RedisWorker::block_sigpipe() {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
}

bool RedisWorker::ensure_connected(std::string* trouble) {
  if (conn_) return true;
  std::string error;
  auto conn =
      RedisContext::connect(options_.url, options_.connect_timeout, options_.io_timeout, &error);
  if (!conn) {
    *trouble = "cannot connect: " + error;
    return false;
  }
  // Refused once stop() has interrupted: a connection made while stopping
  // is never used.
  return conn_.install(std::move(*conn));
}

bool RedisWorker::retry_after(const std::string& what) {
  conn_.reset();
  if (stopping_) return false;
  // The first failure of an outage is a warning, a different failure
  // another one, repeats only debug lines.
  if (!in_trouble_) {
    in_trouble_ = true;
    trouble_since_ = std::chrono::steady_clock::now();
    trouble_attempts_ = 0;
    log_warning(name_, " at ", masked_url_, ": ", what, "; retrying with backoff up to ",
                options_.backoff_max.count(), " ms");
  } else if (what != last_trouble_) {
    log_warning(name_, " at ", masked_url_, ": ", what);
  } else {
    log_debug(name_, " at ", masked_url_, ": ", what);
  }
  ++trouble_attempts_;
  last_trouble_ = what;
  auto delay = backoff_.next();
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait_for(lock, delay, [&] { return stopping_.load(); });
  return !stopping_;
}

void RedisWorker::succeeded() {
  backoff_.reset();
  if (!in_trouble_) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  trouble_since_)
                .count();
  log_info(name_, " at ", masked_url_, ": back after ", trouble_attempts_, " failed attempt",
           trouble_attempts_ == 1 ? "" : "s", " in ", ms / 1000.0, " s");
  in_trouble_ = false;
  last_trouble_.clear();
}

bool RedisWorker::wait(const std::function<bool()>& ready) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return stopping_.load() || ready(); });
  return !stopping_;
}

void RedisWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  conn_.interrupt();
}

}  // namespace zrb
