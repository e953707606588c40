#include "intel/intel_replay.hh"

#include "observe/counters.hh"
#include "observe/log.hh"
#include "observe/rejection.hh"

namespace zrb {

namespace {

std::string_view text(const redisReply& r) {
  return std::string_view(r.str, r.len);
}

bool is_string(const redisReply* r) {
  return r != nullptr && r->type == REDIS_REPLY_STRING;
}

// Deletes a field only if it still holds `value`: a producer may have added
// the indicator again (with a new expiry) since the replay read it.
constexpr std::string_view prune_script =
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
    "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

}  // namespace

IntelReplay::IntelReplay(ReplayOptions options)
    : options_(std::move(options)),
      queue_(options_.max_queued),
      worker_("intel snapshot replay", options_.redis),
      replays_(counters().get("intel_replays")),
      skipped_expired_(counters().get("intel_replay_skipped", "expired")),
      pruned_(counters().get("intel_snapshot_pruned")) {
  thread_ = std::thread([this] { run(); });
}

IntelReplay::~IntelReplay() {
  stop();
}

void IntelReplay::request() {
  {
    std::lock_guard<std::mutex> lock(worker_.lock());
    ++requested_;
  }
  worker_.notify();
}

void IntelReplay::stop() {
  worker_.stop();
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void IntelReplay::run() {
  RedisWorker::block_sigpipe();

  // Every request that arrives while a pass runs is served by the one pass
  // after it: started_ jumps to the newest request when a pass starts.
  while (worker_.wait([&] { return requested_ > started_; })) {
    {
      std::lock_guard<std::mutex> lock(worker_.lock());
      started_ = requested_;
    }
    std::string trouble;
    Pass pass = Pass::retry;
    while (pass == Pass::retry) {
      pass = replay_once(&trouble);
      if (pass == Pass::retry && !worker_.retry_after(trouble)) pass = Pass::stopped;
    }
    worker_.disconnect();
    if (pass == Pass::stopped) return;
    // After the pass's last indicator: the queue keeps the order.
    if (!queue_.push(ReplayEnd{queued_})) return;
  }
}

IntelReplay::Pass IntelReplay::replay_once(std::string* trouble) {
  if (!worker_.ensure_connected(trouble)) return worker_.stopping() ? Pass::stopped : Pass::retry;
  auto started = std::chrono::steady_clock::now();
  queued_ = expired_ = invalid_ = 0;
  RedisReply reply = worker_.conn()->command({"SMEMBERS", options_.snapshot.sources_key});
  if (!reply) {
    *trouble = "lost the connection reading " + options_.snapshot.sources_key;
    return worker_.stopping() ? Pass::stopped : Pass::retry;
  }
  if (auto error = reply_error(*reply)) {
    // WRONGTYPE, NOPERM: not fixed by retrying now; the next peer retries.
    log_error("intel snapshot replay: SMEMBERS ", options_.snapshot.sources_key, ": ", *error,
              "; nothing replayed");
    return Pass::done;
  }
  worker_.succeeded();
  std::vector<std::string> sources;
  for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; ++i)
    if (is_string(reply->element[i])) sources.emplace_back(text(*reply->element[i]));
  for (const auto& source : sources) {
    Pass pass = replay_source(source, trouble);
    if (pass != Pass::done) return pass;
  }
  ++replays_;
  ++finished_;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  log_info("intel snapshot replay: ", queued_, " indicators from ", sources.size(), " sources in ",
           ms / 1000.0, " s (", expired_, " expired, ", invalid_, " invalid skipped)");
  return Pass::done;
}

IntelReplay::Pass IntelReplay::replay_source(const std::string& source, std::string* trouble) {
  const std::string key = options_.snapshot.prefix + source;
  const std::string count = std::to_string(options_.chunk);
  std::string cursor = "0";
  do {
    RedisReply reply = worker_.conn()->command({"HSCAN", key, cursor, "COUNT", count});
    if (!reply) {
      *trouble = "lost the connection reading " + key;
      return worker_.stopping() ? Pass::stopped : Pass::retry;
    }
    if (auto error = reply_error(*reply)) {
      log_error("intel snapshot replay: HSCAN ", key, ": ", *error, "; skipping that source");
      return Pass::done;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || !is_string(reply->element[0]) ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
      log_error("intel snapshot replay: HSCAN ", key, ": unexpected reply; skipping that source");
      return Pass::done;
    }
    cursor = std::string(text(*reply->element[0]));
    const redisReply& pairs = *reply->element[1];
    double now = unix_now();
    for (size_t i = 0; i + 1 < pairs.elements; i += 2) {
      if (!is_string(pairs.element[i]) || !is_string(pairs.element[i + 1])) continue;
      std::string why;
      auto update = read_snapshot_value(text(*pairs.element[i + 1]), now, &why);
      if (!update) {
        if (why == "expired") {
          ++expired_;
          ++skipped_expired_;
          if (!prune(key, text(*pairs.element[i]), text(*pairs.element[i + 1])))
            return worker_.stopping() ? Pass::stopped : Pass::retry;
        } else {
          ++invalid_;
          reject(
              "intel_snapshot_invalid",
              key + " field '" + std::string(text(*pairs.element[i]).substr(0, 200)) + "': " + why);
        }
        continue;
      }
      if (!queue_.push(std::move(*update))) return Pass::stopped;
      ++queued_;
    }
  } while (cursor != "0");
  return Pass::done;
}

bool IntelReplay::prune(const std::string& key, std::string_view field, std::string_view value) {
  RedisReply reply = worker_.conn()->command({"EVAL", prune_script, "1", key, field, value});
  if (!reply) return false;
  if (auto error = reply_error(*reply)) {
    // An ACL without EVAL, say: the entry stays, and is skipped again.
    log_debug("intel snapshot replay: cannot prune an expired entry of ", key, ": ", *error);
  } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 1) {
    ++pruned_;
  }
  return true;
}

}  // namespace zrb
