#include "redis_writer.hh"

#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <utility>

#include "counters.hh"
#include "log.hh"

namespace zrb {

namespace {

// The label of redis_errors: the error code Redis puts first (WRONGTYPE,
// NOPERM, OOM). Anything else becomes "other", so a strange reply cannot
// create unbounded counter names.
std::string reason_of(std::string_view error) {
  std::string_view word = error.substr(0, error.find(' '));
  bool code = !word.empty() && word.size() <= 32 &&
              std::all_of(word.begin(), word.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return code ? std::string(word) : "other";
}

// Error replies that say "not now" rather than "never": the batch is sent
// again after a backoff instead of being counted as failed. OOM is among
// them because the records are fine and memory comes back once consumers
// trim or evict; until then backpressure holds the records upstream.
bool is_transient(std::string_view reason) {
  for (std::string_view code :
       {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "OOM", "READONLY", "NOAUTH"})
    if (reason == code) return true;
  return false;
}

// READONLY: the server was demoted to a replica, and a new connection may
// reach the new primary (DNS, a proxy). NOAUTH: the server forgot our AUTH;
// a new connection sends it again.
bool needs_new_connection(std::string_view reason) {
  return reason == "READONLY" || reason == "NOAUTH";
}

}  // namespace

RedisWriter::RedisWriter(WriterOptions options)
    : options_([&] {
        // Zero would mean a batch that never fills or a queue that never
        // takes one: neither is a configuration anyone means.
        options.batch_size = std::max<size_t>(options.batch_size, 1);
        options.max_queued_batches = std::max<size_t>(options.max_queued_batches, 1);
        options.backoff_initial = std::max(options.backoff_initial, std::chrono::milliseconds(1));
        options.backoff_max = std::max(options.backoff_max, options.backoff_initial);
        return std::move(options);
      }()),
      masked_url_(options_.url.masked()),
      backoff_(options_.backoff_initial, options_.backoff_max),
      records_written_(counters().get("records_written")),
      commands_written_(counters().get("commands_written")),
      batches_written_(counters().get("batches_written")),
      records_failed_(counters().get("records_failed")),
      reconnects_(counters().get("redis_reconnects")),
      connect_failures_(counters().get("redis_connect_failures")),
      queue_full_(counters().get("writer_queue_full")),
      dropped_by_route_(counters().get("records_dropped", "route")),
      dropped_at_shutdown_(counters().get("records_dropped", "shutdown")) {
  thread_ = std::thread([this] { run(); });
}

RedisWriter::~RedisWriter() {
  stop();
}

// --- main thread ---

void RedisWriter::append(const Route& route, std::string_view json) {
  if (route.kind == RouteKind::drop) {
    dropped_by_route_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!accepting()) return;
  append_record(open_, route, json);
  appended();
}

void RedisWriter::append_command(std::string_view path, std::string_view key,
                                 std::initializer_list<std::string_view> argv) {
  if (!accepting()) return;
  zrb::append_command(open_, path, key, argv);
  appended();
}

// Before a record goes into the open batch: false (counted) once stopped.
bool RedisWriter::accepting() {
  if (stopping_.load(std::memory_order_relaxed)) {
    dropped_at_shutdown_.fetch_add(1, std::memory_order_relaxed);
    if (!warned_after_stop_) log_warning("Redis writer stopped: dropping records appended after");
    warned_after_stop_ = true;
    return false;
  }
  if (open_.empty()) open_since_ = Clock::now();
  return true;
}

// After a record went into the open batch: hand it off once full.
void RedisWriter::appended() {
  if (open_.records >= options_.batch_size || open_.resp.size() >= options_.batch_max_bytes)
    hand_off(std::nullopt);
}

void RedisWriter::maybe_flush(Clock::time_point now) {
  if (!open_.empty() && now - open_since_ >= options_.batch_delay) hand_off(std::nullopt);
}

std::optional<RedisWriter::Clock::time_point> RedisWriter::flush_due() const {
  if (open_.empty()) return std::nullopt;
  return open_since_ + options_.batch_delay;
}

void RedisWriter::flush() {
  if (!open_.empty()) hand_off(std::nullopt);
}

size_t RedisWriter::drain(Clock::time_point deadline) {
  if (!open_.empty()) hand_off(deadline);
  std::unique_lock<std::mutex> lock(mutex_);
  idle_cv_.wait_until(lock, deadline, [&] { return pending_records_ == 0 || stopping_; });
  return pending_records_ + open_.records;
}

size_t RedisWriter::pending_records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_records_ + open_.records;
}

void RedisWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
  idle_cv_.notify_all();
  {
    // Interrupts a read or write that would otherwise wait for io_timeout.
    conn_.interrupt();
  }
  if (thread_.joinable()) thread_.join();

  size_t left = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    left = pending_records_ + open_.records;
    pending_records_ = 0;
    queue_.clear();
  }
  open_.clear();
  if (left > 0) {
    dropped_at_shutdown_ += left;
    log_warning("Redis writer stopped with ", left, " records not known to be written to Redis at ",
                masked_url_);
  }
}

bool RedisWriter::hand_off(std::optional<Clock::time_point> deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto room = [&] { return queue_.size() < options_.max_queued_batches || stopping_; };
  if (!room()) {
    // OverflowPolicy::block is the only policy so far; a spill-to-disk or
    // drop-oldest policy decides here instead of waiting.
    ++queue_full_;
    log_debug("Redis writer queue full (", queue_.size(), " batches): append() waits");
    if (deadline) {
      if (!space_cv_.wait_until(lock, *deadline, room)) return false;
    } else {
      space_cv_.wait(lock, room);
    }
  }
  if (stopping_) return false;  // stop() counts what is left
  pending_records_ += open_.records;
  queue_.push_back(std::move(open_));
  open_ = CommandBatch();
  if (!spare_.empty()) {
    open_ = std::move(spare_.back());
    spare_.pop_back();
  }
  lock.unlock();
  work_cv_.notify_one();
  return true;
}

// --- writer thread ---

void RedisWriter::run() {
  // Writing to a socket that Redis has closed raises SIGPIPE, whose default
  // action ends the process. Blocked in this thread (the only one writing
  // to the socket), it stays pending and write() fails with EPIPE instead:
  // a lost connection like any other.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  log_debug("connecting to Redis at ", masked_url_);
  if (!connect_until_ok()) return;
  for (;;) {
    CommandBatch batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (stopping_) return;
      batch = std::move(queue_.front());
      queue_.pop_front();
    }
    space_cv_.notify_one();
    // Until it is answered, the batch stays counted in pending_records_.
    if (!write_until_done(batch)) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_records_ -= batch.records;
      batch.clear();
      if (spare_.size() < 2) spare_.push_back(std::move(batch));
    }
    idle_cv_.notify_all();
  }
}

bool RedisWriter::write_until_done(CommandBatch& batch) {
  for (;;) {
    if (stopping_) return false;
    if (!conn_ && !connect_until_ok()) return false;
    switch (send(batch)) {
      case Outcome::written:
        backoff_.reset();
        if (trouble_ != Trouble::none) end_trouble();
        return true;
      case Outcome::connection_lost:
        // Waiting before the first reconnect too keeps a server that
        // accepts and then drops every connection from making this a
        // busy loop; the backoff only resets once a batch gets through.
      case Outcome::retry_reconnect:
        drop_connection();
        sleep_backoff();
        break;
      case Outcome::retry_later:
        sleep_backoff();
        break;
    }
  }
}

RedisWriter::Outcome RedisWriter::send(CommandBatch& batch) {
  if (!conn_->append_formatted(batch.resp)) {
    note_trouble(Trouble::connection, "out of memory queueing a batch for Redis");
    return Outcome::connection_lost;
  }

  // Read every reply before counting anything: if the connection breaks
  // halfway, the whole batch is sent again and nothing is counted twice.
  run_written_.assign(batch.runs.size(), 0);
  size_t ok_commands = 0;
  size_t failed_records = 0;
  size_t errors = 0;
  bool retry = false;
  bool reconnect = false;
  std::string first_error, first_key, first_path;
  std::vector<std::pair<std::string, uint64_t>> reasons;
  for (size_t r = 0; r < batch.runs.size(); ++r) {
    const CommandBatch::Run& run = batch.runs[r];
    for (size_t i = 0; i < run.records; ++i) {
      for (size_t c = 0; c < run.commands_per_record; ++c) {
        RedisReply reply = conn_->get_reply();
        if (!reply) {
          if (stopping_) return Outcome::connection_lost;  // stop() shut the socket down
          note_trouble(Trouble::connection,
                       "lost the connection (" + conn_->error() + "); the unanswered batch of " +
                           std::to_string(batch.records) + " records will be sent again");
          return Outcome::connection_lost;
        }
        auto error = reply_error(*reply);
        if (!error) {
          ++ok_commands;
          if (c == 0) ++run_written_[r];  // the push; a failed LTRIM still wrote it
          continue;
        }
        std::string reason = reason_of(*error);
        if (is_transient(reason)) {
          if (!retry) first_error = std::string(*error);
          retry = true;
          reconnect = reconnect || needs_new_connection(reason);
        } else if (errors++ == 0 && !retry) {
          first_error = std::string(*error);
          first_key = run.key;
          first_path = run.path;
        }
        if (c == 0) ++failed_records;
        auto found = std::find_if(reasons.begin(), reasons.end(),
                                  [&](const auto& entry) { return entry.first == reason; });
        if (found == reasons.end())
          reasons.emplace_back(std::move(reason), 1);
        else
          ++found->second;
      }
    }
  }
  for (const auto& [reason, count] : reasons) counters().get("redis_errors", reason) += count;

  if (retry) {
    note_trouble(Trouble::reply, "Redis answered '" + first_error + "'; the batch of " +
                                     std::to_string(batch.records) + " records will be sent again");
    return reconnect ? Outcome::retry_reconnect : Outcome::retry_later;
  }

  if (errors > 0)
    log_warning("Redis refused ", errors, " of ", batch.commands, " commands of a batch; first: '",
                first_error, "' on key '", first_key, "' (log path '", first_path, "')");
  for (size_t r = 0; r < batch.runs.size(); ++r)
    if (run_written_[r] > 0) path_counter(batch.runs[r].path) += run_written_[r];
  records_written_ += batch.records - failed_records;
  records_failed_ += failed_records;
  commands_written_ += ok_commands;
  ++batches_written_;
  return Outcome::written;
}

bool RedisWriter::connect_until_ok() {
  for (;;) {
    if (stopping_) return false;
    std::string error;
    auto conn =
        RedisContext::connect(options_.url, options_.connect_timeout, options_.io_timeout, &error);
    if (conn) {
      // Refused once stop() has interrupted: a connection made while
      // stopping is never used.
      if (!conn_.install(std::move(*conn))) return false;
      connected_ = true;
      if (ever_connected_) ++reconnects_;
      if (trouble_ == Trouble::connection)
        end_trouble();
      else if (!ever_connected_)
        log_info("connected to Redis at ", masked_url_);
      ever_connected_ = true;
      return true;
    }
    ++connect_failures_;
    note_trouble(Trouble::connection, "cannot connect: " + error);
    sleep_backoff();
  }
}

void RedisWriter::drop_connection() {
  conn_.reset();
  connected_ = false;
}

void RedisWriter::sleep_backoff() {
  auto delay = backoff_.next();
  std::unique_lock<std::mutex> lock(mutex_);
  work_cv_.wait_for(lock, delay, [&] { return stopping_.load(); });
}

// Logs the first failure of an episode as a warning, a different failure
// again, and repeats of the same failure only at debug level: an outage of
// an hour is a few lines, not one per retry.
void RedisWriter::note_trouble(Trouble kind, const std::string& what) {
  ++trouble_attempts_;
  if (trouble_ == Trouble::none) {
    trouble_since_ = Clock::now();
    trouble_attempts_ = 1;
    log_warning("Redis at ", masked_url_, ": ", what, "; retrying with backoff up to ",
                options_.backoff_max.count(), " ms, records handed over are kept");
  } else if (what != last_trouble_) {
    log_warning("Redis at ", masked_url_, ": ", what);
  } else {
    log_debug("Redis at ", masked_url_, ": ", what);
  }
  trouble_ = kind;
  last_trouble_ = what;
}

void RedisWriter::end_trouble() {
  auto seconds =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - trouble_since_).count() /
      1000.0;
  log_info("Redis at ", masked_url_, " is back after ", trouble_attempts_, " failed attempt",
           trouble_attempts_ == 1 ? "" : "s", " in ", seconds, " s");
  trouble_ = Trouble::none;
  last_trouble_.clear();
}

std::atomic<uint64_t>& RedisWriter::path_counter(const std::string& path) {
  auto found = path_written_.find(path);
  if (found == path_written_.end())
    found = path_written_.emplace(path, &counters().get("path_records_written", path)).first;
  return *found->second;
}

}  // namespace zrb
