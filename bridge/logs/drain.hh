// The end-of-run exchange (docs/protocol.md, "End of a run"). A Zeek node
// that is about to exit publishes RedisBridge::drain(seq, reply_topic,
// wait); the bridge notes how many records its writer had accepted at that
// moment (every record of every batch received before the request) and
// answers RedisBridge::drained(seq, written, spooled, unwritten) on
// `reply_topic` as soon as all of them have left the writer's memory
// (written to Redis, or put in the disk spool while Redis is away), or when
// `wait` has passed, whichever comes first. So a node always gets an answer
// within the time it said it would wait, and `unwritten` > 0 tells it that
// the answer is not a confirmation.
//
// The writer takes records in order and lets them go in order, so one
// number per request (the writer's position) is all that is kept; the
// daemon's loop calls poll() every turn. Counters: drain_requests,
// drain_answers{confirmed|timeout}; malformed requests are rejected
// (bad_arguments, too_many_drains).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "redis/redis_writer.hh"
#include "transport/transport.hh"

namespace zrb {

inline constexpr std::string_view drain_event = "RedisBridge::drain";
inline constexpr std::string_view drained_event = "RedisBridge::drained";

class Drain {
 public:
  using Clock = std::chrono::steady_clock;
  using Progress = std::function<RedisWriter::Progress()>;

  /// Longest wait a request may ask for; longer ones are cut to it.
  static constexpr std::chrono::seconds max_wait{60};
  /// Most requests waiting at once; more are rejected (too_many_drains).
  static constexpr size_t max_pending = 256;
  /// Longest reply topic accepted.
  static constexpr size_t max_topic_bytes = 256;

  // --- constructors ---

  /// `progress` reads the writer's position (RedisWriter::progress);
  /// answers go out through `transport`.
  Drain(Progress progress, Transport& transport);

  /// True for RedisBridge::drain.
  static bool is_drain_event(std::string_view name) { return name == drain_event; }

  /// Takes a drain request (checked; a bad one is rejected, never fatal)
  /// and answers it at once if nothing is outstanding.
  void handle(Event&& ev, Clock::time_point now = Clock::now());

  /// Answers every request whose records have left memory or whose wait
  /// has passed. Cheap when nothing waits: call it every turn.
  void poll(Clock::time_point now = Clock::now());

  /// Requests not answered yet.
  size_t pending() const { return pending_.size(); }

 private:
  struct Request {
    uint64_t seq;
    std::string reply_topic;
    uint64_t position;  // writer's accepted count when the request came
    Clock::time_point deadline;
  };

  void answer(const Request& r, const RedisWriter::Progress& p);

  Progress progress_;
  Transport& transport_;
  std::deque<Request> pending_;
};

}  // namespace zrb
