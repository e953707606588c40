#include "commands/command_executor.hh"

#include <algorithm>
#include <iterator>

#include "commands/command_reply.hh"
#include "observe/counters.hh"
#include "observe/log.hh"

namespace zrb {

namespace {

bool is_power_of_two(uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

// The executor's connection is a RedisWorker's with two timeouts of its own:
// the handshake is bounded by connect_timeout (so that stop() never waits
// long for a host that does not answer), every reply by reply_timeout.
WorkerOptions worker_options(const ExecutorOptions& o) {
  WorkerOptions w;
  w.url = o.url;
  w.backoff_initial = o.backoff_initial;
  w.backoff_max = o.backoff_max;
  w.connect_timeout = o.connect_timeout;
  w.io_timeout = o.connect_timeout;
  return w;
}

}  // namespace

CommandExecutor::CommandExecutor(ExecutorOptions options)
    : options_(std::move(options)),
      worker_("commands: Redis", worker_options(options_)),
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
    std::lock_guard<std::mutex> lock(worker_.lock());
    if (queue_.size() >= options_.max_queued) return false;
    queue_.push_back(std::move(request));
  }
  worker_.notify();
  return true;
}

size_t CommandExecutor::poll(std::vector<CommandOutcome>& out, size_t max) {
  std::lock_guard<std::mutex> lock(worker_.lock());
  size_t n = std::min(max, replies_.size());
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::move(replies_.front()));
    replies_.pop_front();
  }
  if (n > 0 && replies_.empty()) replies_ready_.lower();
  return n;
}

size_t CommandExecutor::pending() const {
  std::lock_guard<std::mutex> lock(worker_.lock());
  return queue_.size() + in_flight_;
}

size_t CommandExecutor::drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(worker_.lock());
  idle_cv_.wait_until(lock, deadline, [&] { return queue_.empty() && in_flight_ == 0; });
  return queue_.size() + in_flight_;
}

void CommandExecutor::stop() {
  worker_.stop();
  if (thread_.joinable()) thread_.join();
}

void CommandExecutor::run() {
  RedisWorker::block_sigpipe();
  std::vector<CommandRequest> batch;
  for (;;) {
    if (!worker_.wait([&] { return !queue_.empty(); })) return;
    if (!connect()) {
      if (worker_.stopping()) return;
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(worker_.lock());
      size_t n = std::min(options_.max_batch, queue_.size());
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
      in_flight_ = n;
    }
    size_t done = execute(batch);
    {
      std::lock_guard<std::mutex> lock(worker_.lock());
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
  if (worker_.conn()) return true;
  std::string trouble;
  if (worker_.ensure_connected(&trouble) && !worker_.conn()->set_io_timeout(options_.reply_timeout))
    trouble = "setting the reply timeout: " + worker_.conn()->error();
  if (!worker_.conn() || !trouble.empty()) {
    if (worker_.stopping()) return false;
    ++connect_failures_;
    // Requests wait in the queue meanwhile.
    worker_.retry_after(trouble);
    return false;
  }
  if (ever_connected_) ++reconnects_;
  if (!ever_connected_) log_info("commands: connected to Redis at ", options_.url.masked());
  ever_connected_ = true;
  return true;
}

size_t CommandExecutor::execute(std::vector<CommandRequest>& batch) {
  auto& conn = worker_.conn();
  for (const auto& request : batch) {
    if (!conn->append_formatted(request.resp)) {
      worker_.retry_after("out of memory queueing commands; unanswered requests are sent again");
      return 0;
    }
  }
  std::vector<CommandOutcome> outcomes;
  size_t done = 0;
  for (; done < batch.size(); ++done) {
    const auto& request = batch[done];
    RedisReply first;
    for (size_t c = 0; c < request.commands; ++c) {
      RedisReply reply = conn->get_reply();
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
    if (!conn->ok()) break;
    auto counter = executed_.find(request.op);
    if (counter == executed_.end())
      counter =
          executed_.emplace(request.op, &counters().get("commands_executed", request.op)).first;
    ++*counter->second;
    if (request.wants_reply())
      outcomes.push_back({request.id, request.reply_topic, reply_value(*first)});
  }
  if (done < batch.size()) {
    if (!worker_.stopping())
      worker_.retry_after("lost the connection (" + conn->error() +
                          "); unanswered requests are sent again");
  } else {
    worker_.succeeded();
  }
  if (!outcomes.empty()) {
    std::lock_guard<std::mutex> lock(worker_.lock());
    if (replies_.empty()) replies_ready_.raise();
    std::move(outcomes.begin(), outcomes.end(), std::back_inserter(replies_));
  }
  return done;
}

}  // namespace zrb
