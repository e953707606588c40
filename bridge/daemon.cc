#include "daemon.hh"

#include <poll.h>

#include <algorithm>
#include <chrono>

#include "assembly.hh"
#include "observe/log.hh"
#include "observe/rejection.hh"
#include "observe/summary.hh"
#include "signals.hh"

namespace zrb {

namespace {

// The loop wakes at least every loop_tick, so a signal is seen within that
// time; it handles at most events_per_turn items of each source per turn.
constexpr auto loop_tick = std::chrono::milliseconds(50);
constexpr size_t events_per_turn = 256;
using Clock = std::chrono::steady_clock;

// Zeek -> Redis (log records) or -> the commands path.
void dispatch(Parts& parts, Event&& ev) {
  if (is_log_event(ev.name))
    parts.forwarder->handle(std::move(ev));
  else if (is_command_event(ev.name))
    parts.commands->handle(std::move(ev));
  else if (Drain::is_drain_event(ev.name))
    parts.drain->handle(std::move(ev));
  else
    reject("unknown_event", "event " + ev.name + " on '" + ev.topic + "'");
}

// Waits for input from Broker or any Redis reader, no longer than the open
// batch may wait for Redis, so that a message from either is handled as
// soon as it arrives.
void wait_for_input(Parts& parts) {
  auto timeout = loop_tick;
  if (auto due = parts.writer->flush_due()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*due - Clock::now());
    timeout = std::clamp(left, std::chrono::milliseconds(0), loop_tick);
  }
  pollfd fds[5] = {{parts.transport->fd(), POLLIN, 0},
                   {parts.commands->fd(), POLLIN, 0},
                   {parts.redis_to_zeek->subscriber_fd(), POLLIN, 0},
                   {parts.redis_to_zeek->replay_fd(), POLLIN, 0},
                   {parts.redis_to_zeek->streams_fd(), POLLIN, 0}};
  ::poll(fds, 5, static_cast<int>(timeout.count()));
}

// Shutdown: take what Broker already delivered to us (it was accepted by
// this process), then stop reading, then write everything out.
void shut_down(const Config& config, Parts& parts, std::vector<Event>& events) {
  log_info("stopping: taking queued messages, then writing buffered records to Redis");
  auto deadline = Clock::now() + config.shutdown_timeout;
  // At most what Broker's queue for us can hold: that much was delivered
  // before the signal; more would be reading on while the peers still send.
  size_t budget = config.broker.queue_size;
  while (budget > 0 && Clock::now() < deadline) {
    events.clear();
    size_t got = parts.transport->receive(events, std::min(events_per_turn, budget),
                                          std::chrono::milliseconds(0));
    if (got == 0) break;
    budget -= std::min(got, budget);
    for (auto& ev : events) dispatch(parts, std::move(ev));
  }
  parts.redis_to_zeek->stop();
  // Requests already taken are run and answered while Broker is still up.
  if (auto unrun = parts.commands->finish(deadline); unrun > 0)
    log_error("shutdown deadline passed with ", unrun, " Redis operations of Zeek not run");
  parts.redis_to_zeek.reset();
  parts.drain.reset();  // requests still waiting get no answer: Zeek times out
  parts.transport.reset();
  auto left = parts.writer->drain(deadline);
  auto stopped = parts.writer->stop();
  if (left > 0)
    log_error("shutdown deadline passed with ", left,
              " records not written to Redis: ", stopped.spooled,
              " kept in the spool for the next start, ", stopped.lost, " lost");
  else
    log_info("all records written to Redis");
}

}  // namespace

int run_daemon(const Config& config) {
  SignalFlags& signals = take_signals_on_own_thread();
  set_rejection_log_limit(config.rejection_log);
  auto parts = assemble(config, &signals.stop);
  if (!parts) return 2;
  log_info("zeek-redis-bridge ", ZRB_VERSION, " running; writing to ", config.writer.url.masked());

  std::vector<Event> events;
  events.reserve(events_per_turn);
  auto next_stats = Clock::now() + std::chrono::seconds(config.stats_interval_s);
  auto next_rejection_report = Clock::now();
  while (!signals.stop) {
    wait_for_input(*parts);
    events.clear();
    parts->transport->receive(events, events_per_turn, std::chrono::milliseconds(0));
    for (auto& ev : events) dispatch(*parts, std::move(ev));
    parts->redis_to_zeek->pump(events_per_turn);
    parts->commands->poll();
    parts->writer->poll();
    parts->drain->poll();
    if (signals.reopen_log.exchange(false)) {
      if (!set_log_file(config.log_file)) log_error("cannot reopen log file ", config.log_file);
      log_info("log file reopened");
    }
    if (Clock::now() >= next_rejection_report) {
      next_rejection_report = Clock::now() + std::chrono::seconds(1);
      report_suppressed_rejections();
    }
    if (config.stats_interval_s > 0 && Clock::now() >= next_stats) {
      next_stats += std::chrono::seconds(config.stats_interval_s);
      log_info(summary_line());
    }
  }
  shut_down(config, *parts, events);
  report_suppressed_rejections(true);
  log_info(summary_line());
  return 0;
}

}  // namespace zrb
