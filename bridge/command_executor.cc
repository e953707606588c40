#include "command_executor.hh"

#include <pthread.h>

#include <algorithm>
#include <csignal>
#include <iterator>

#include "command_reply.hh"
#include "counters.hh"
#include "log.hh"

namespace zrb {

namespace {

bool is_power_of_two(uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

}  // namespace

CommandExecutor::CommandExecutor(ExecutorOptions options)
    : options_(std::move(options)),
      masked_url_(options_.url.masked()),
      backoff_(std::max(options_.backoff_initial, std::chrono::milliseconds(1)),
               std::max(options_.backoff_max, options_.backoff_initial)),
      resent_(counters().get("commands_resent")),
      reconnects_(counters().get("commands_reconnects")),
      connect_failures_(counters().get("commands_connect_failures")) {
  thread_ = std::thread([this] { run(); });
}

CommandExecutor::~CommandExecutor() {
  stop();
}

bool CommandExecutor::submit(CommandRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= options_.max_queued) return false;
    queue_.push_back(std::move(request));
  }
  work_cv_.notify_one();
  return true;
}

size_t CommandExecutor::poll(std::vector<CommandOutcome>& out, size_t max) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = std::min(max, replies_.size());
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::move(replies_.front()));
    replies_.pop_front();
  }
  if (n > 0 && replies_.empty()) replies_ready_.lower();
  return n;
}

size_t CommandExecutor::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size() + in_flight_;
}

size_t CommandExecutor::drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_cv_.wait_until(lock, deadline, [&] { return queue_.empty() && in_flight_ == 0; });
  return queue_.size() + in_flight_;
}

void CommandExecutor::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  conn_.interrupt();
  if (thread_.joinable()) thread_.join();
}

void CommandExecutor::run() {
  // A write to a connection Redis has closed must fail, not raise SIGPIPE.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  std::vector<CommandRequest> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
    }
    if (!conn_ && !connect()) {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait_for(lock, backoff_.next(), [&] { return stopping_; });
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      size_t n = std::min(options_.max_batch, queue_.size());
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
      in_flight_ = n;
    }
    size_t done = execute(batch);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // What did not get its reply goes back to the front, in order.
      queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin() + done),
                    std::make_move_iterator(batch.end()));
      in_flight_ = 0;
      if (queue_.empty()) idle_cv_.notify_all();
    }
    resent_ += batch.size() - done;
    batch.clear();
  }
}

bool CommandExecutor::connect() {
  std::string error;
  auto conn = RedisContext::connect(options_.url, options_.connect_timeout,
                                    options_.connect_timeout, &error);
  if (conn && !conn->set_io_timeout(options_.reply_timeout))
    error = "setting the reply timeout: " + conn->error();
  if (!conn || !error.empty()) {
    ++connect_failures_;
    if (!in_trouble_)
      log_warning("commands: cannot connect to Redis at ", masked_url_, ": ", error,
                  "; requests wait, retrying with backoff");
    in_trouble_ = true;
    return false;
  }
  if (!conn_.install(std::move(*conn))) return false;  // stopping
  if (ever_connected_) ++reconnects_;
  if (in_trouble_ || !ever_connected_) log_info("commands: connected to Redis at ", masked_url_);
  ever_connected_ = true;
  in_trouble_ = false;
  backoff_.reset();
  return true;
}

size_t CommandExecutor::execute(std::vector<CommandRequest>& batch) {
  for (const auto& request : batch) {
    if (!conn_->append_formatted(request.resp)) {
      lost("out of memory queueing commands");
      return 0;
    }
  }
  std::vector<CommandOutcome> outcomes;
  size_t done = 0;
  for (; done < batch.size(); ++done) {
    const auto& request = batch[done];
    RedisReply first;
    for (size_t c = 0; c < request.commands; ++c) {
      RedisReply reply = conn_->get_reply();
      if (!reply) break;
      if (reply->type == REDIS_REPLY_ERROR) {
        ++counters().get("command_errors", request.op);
        if (!request.wants_reply() && is_power_of_two(++error_replies_))
          log_warning("commands: Redis answered ", request.op, " with '",
                      std::string(reply->str, reply->len), "' (", error_replies_,
                      " error replies to requests without a reply so far)");
      }
      if (c == 0) first = std::move(reply);
    }
    if (!conn_->ok()) break;
    auto counter = executed_.find(request.op);
    if (counter == executed_.end())
      counter =
          executed_.emplace(request.op, &counters().get("commands_executed", request.op)).first;
    ++*counter->second;
    if (request.wants_reply())
      outcomes.push_back({request.id, request.reply_topic, reply_value(*first)});
  }
  if (done < batch.size()) lost(conn_->error());
  if (!outcomes.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (replies_.empty()) replies_ready_.raise();
    std::move(outcomes.begin(), outcomes.end(), std::back_inserter(replies_));
  }
  return done;
}

void CommandExecutor::lost(const std::string& what) {
  conn_.reset();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
  }
  if (!in_trouble_)
    log_warning("commands: lost the connection to Redis at ", masked_url_, " (", what,
                "); unanswered requests are sent again after reconnecting");
  in_trouble_ = true;
}

}  // namespace zrb
