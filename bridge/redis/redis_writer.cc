#include "redis/redis_writer.hh"

#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>
#include <utility>

#include "observe/counters.hh"
#include "observe/log.hh"

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

// How often a burst of drops is reported while it lasts.
constexpr auto drop_report_interval = std::chrono::seconds(5);
// How long append() waits at a time under `block` before it looks at the
// stop flag again.
constexpr auto stop_flag_poll = std::chrono::milliseconds(50);

}  // namespace

bool parse_overflow_policy(std::string_view text, OverflowPolicy& out) {
  if (text == "block")
    out = OverflowPolicy::block;
  else if (text == "drop-oldest")
    out = OverflowPolicy::drop_oldest;
  else
    return false;
  return true;
}

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
      bytes_written_(counters().get("bytes_written")),
      records_failed_(counters().get("records_failed")),
      reconnects_(counters().get("redis_reconnects")),
      connect_failures_(counters().get("redis_connect_failures")),
      queue_full_(counters().get("writer_queue_full")),
      dropped_by_route_(counters().get("records_dropped", "route")),
      dropped_at_shutdown_(counters().get("records_dropped", "shutdown")),
      dropped_by_overflow_(counters().get("records_dropped", "overflow")),
      records_spooled_(counters().get("records_spooled")) {
  if (!options_.spool.dir.empty()) {
    std::string error;
    spool_ = Spool::open(options_.spool, &error);
    if (!spool_) throw std::runtime_error("spool: " + error);
    publish_levels();
  }
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
  ++accepted_;
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
  if (!open_.empty()) hand_off(deadline, false);
  std::unique_lock<std::mutex> lock(mutex_);
  idle_cv_.wait_until(lock, deadline, [&] {
    return (pending_records_ == 0 && (!spool_ || spool_->empty())) || stopping_;
  });
  return pending_records_ + open_.records + (spool_ ? spool_->records() : 0);
}

size_t RedisWriter::pending_records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_records_ + open_.records + (spool_ ? spool_->records() : 0);
}

RedisWriter::Progress RedisWriter::progress() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Progress p;
  p.accepted = accepted_;
  // The open batch and memory hold the newest records; the spool holds
  // what left memory last (and possibly records of an earlier run).
  const uint64_t in_memory = pending_records_ + open_.records;
  p.settled = accepted_ > in_memory ? accepted_ - in_memory : 0;
  const uint64_t spooled = spool_ ? spool_->records() : 0;
  p.written = p.settled > spooled ? p.settled - spooled : 0;
  return p;
}

RedisWriter::StopResult RedisWriter::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable()) return {};
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

  // The writer thread has put a batch it could not finish back in front
  // of the queue (or back in the spool), so the queue holds every unwritten
  // batch of memory, oldest first, and all of them are older than what is
  // spooled (memory takes batches only while the spool is empty); the open
  // batch is the newest of all.
  StopResult result;
  std::lock_guard<std::mutex> lock(mutex_);
  report_drops(true);
  const size_t unwritten = pending_records_ + open_.records;
  if (spool_ && unwritten > 0) {
    uint64_t before = spool_->records();
    if (spool_->prepend(queue_) && !open_.empty()) spool_->append(open_);
    result.spooled = static_cast<size_t>(spool_->records() - before);
    records_spooled_ += result.spooled;
    spool_->sync();
  }
  open_.clear();
  result.lost = unwritten - result.spooled;
  pending_records_ = 0;
  pending_bytes_ = 0;
  queue_.clear();
  publish_levels();
  if (result.spooled > 0)
    log_warning("Redis writer stopped with ", result.spooled,
                " unwritten records; they are in the spool ", options_.spool.dir,
                " and are written first at the next start");
  if (result.lost > 0) {
    dropped_at_shutdown_ += result.lost;
    log_warning("Redis writer stopped with ", result.lost,
                " records not known to be written to Redis at ", masked_url_,
                spool_ ? " (the spool is full)" : "");
  }
  return result;
}

bool RedisWriter::memory_has_room(const CommandBatch& batch) const {
  if (pending_records_ == 0) return true;  // however large, one batch goes in
  return queue_.size() < options_.max_queued_batches &&
         pending_records_ + batch.records <= options_.max_buffered_records &&
         pending_bytes_ + batch.resp.size() <= options_.max_buffered_bytes;
}

size_t RedisWriter::drop_oldest_queued() {
  if (queue_.empty()) return 0;
  CommandBatch oldest = std::move(queue_.front());
  queue_.pop_front();
  pending_records_ -= oldest.records;
  pending_bytes_ -= oldest.resp.size();
  size_t records = oldest.records;
  recycle(std::move(oldest));
  return records;
}

// Every dropped record is counted at once; the log gets at most one line
// per drop_report_interval, however the buffer flaps between full and not:
// one when dropping starts, one with the count while it goes on, and one
// with the rest once the buffer has room again (or at stop()).
void RedisWriter::note_dropped(size_t records) {
  dropped_by_overflow_ += records;
  unreported_drops_ += records;
  auto now = Clock::now();
  bool quiet = now - drops_logged_ >= drop_report_interval;
  if (!dropping_ && quiet) {
    log_warning("Redis writer buffer full (", pending_records_, " records in memory",
                spool_ ? ", spool full" : "", "): dropping the oldest records (drop-oldest)");
  } else if (quiet) {
    log_warning("Redis writer buffer still full: ", unreported_drops_,
                " more records dropped (records_dropped{overflow})");
  }
  if (quiet) {
    drops_logged_ = now;
    unreported_drops_ = 0;
  }
  dropping_ = true;
}

void RedisWriter::report_drops(bool now) {
  dropping_ = false;
  if (unreported_drops_ == 0 || (!now && Clock::now() - drops_logged_ < drop_report_interval))
    return;
  log_warning(
      "Redis writer dropped ", unreported_drops_,
      " records since the last line (records_dropped{overflow}); the buffer has room again");
  drops_logged_ = Clock::now();
  unreported_drops_ = 0;
}

void RedisWriter::recycle(CommandBatch&& batch) {
  batch.clear();
  if (spare_.size() < 2) spare_.push_back(std::move(batch));
}

void RedisWriter::publish_levels() {
  buffered_records_ = pending_records_;
  buffered_bytes_ = pending_bytes_;
  spooled_records_ = spool_ ? spool_->records() : 0;
  spooled_bytes_ = spool_ ? spool_->bytes() : 0;
}

bool RedisWriter::hand_off(std::optional<Clock::time_point> deadline, bool heed_stop_flag) {
  std::unique_lock<std::mutex> lock(mutex_);
  bool dropped = false;
  for (;;) {
    if (stopping_) return false;  // stop() takes care of the open batch
    // Once anything is spooled, newer batches queue behind it on disk.
    bool spooling = spool_ && !spool_->empty();
    if (!spooling && memory_has_room(open_)) {
      pending_records_ += open_.records;
      pending_bytes_ += open_.resp.size();
      queue_.push_back(std::move(open_));
      break;
    }
    if (spool_ && spool_->append(open_)) {
      records_spooled_ += open_.records;
      recycle(std::move(open_));
      break;
    }
    // Every buffer is full: counted once until a hand-off succeeds again
    // (after a stop, append() keeps trying on every record).
    if (!full_counted_) {
      ++queue_full_;
      full_counted_ = true;
    }
    if (options_.overflow == OverflowPolicy::drop_oldest) {
      size_t records = spooling ? spool_->drop_oldest() : drop_oldest_queued();
      dropped = true;
      if (records == 0) {
        // Nothing older is waiting (the spool holds only the batch in
        // flight, or this batch alone is larger than the spool): this one
        // is the oldest that can go.
        note_dropped(open_.records);
        open_.clear();
        break;
      }
      note_dropped(records);
      continue;
    }
    log_debug("Redis writer buffer full (", pending_records_, " records): append() waits");
    if (heed_stop_flag && options_.stop_flag && options_.stop_flag->load()) return false;
    auto until = Clock::now() + stop_flag_poll;
    if (deadline) {
      if (Clock::now() >= *deadline) return false;
      until = std::min(until, *deadline);
    }
    space_cv_.wait_until(lock, until);
  }
  full_counted_ = false;
  if (!dropped) report_drops(false);
  open_ = CommandBatch();
  if (!spare_.empty()) {
    open_ = std::move(spare_.back());
    spare_.pop_back();
  }
  publish_levels();
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
    bool from_spool = false;
    {
      // Memory first: what is there is older than anything spooled.
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] {
        return !queue_.empty() || (spool_ && !spool_->empty() && !spool_->busy()) || stopping_;
      });
      if (stopping_) return;
      if (!queue_.empty()) {
        batch = std::move(queue_.front());
        queue_.pop_front();
      } else if (spool_->take(batch)) {
        from_spool = true;
      } else {
        continue;  // every entry left was damaged (counted and skipped)
      }
    }
    // Until it is answered, the batch stays counted in pending_records_
    // (or in the spool).
    if (!write_until_done(batch)) {
      // Stopping: keep the batch for stop(), in front of the rest.
      std::lock_guard<std::mutex> lock(mutex_);
      if (from_spool)
        spool_->untake();
      else
        queue_.push_front(std::move(batch));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (from_spool) {
        spool_->done();
      } else {
        pending_records_ -= batch.records;
        pending_bytes_ -= batch.resp.size();
      }
      recycle(std::move(batch));
      publish_levels();
    }
    space_cv_.notify_one();
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
  const auto sent_at = Clock::now();
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
  if (options_.on_round_trip) options_.on_round_trip(Clock::now() - sent_at);

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
  bytes_written_ += batch.resp.size();
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
