// bench_command_executor: the Redis side of Zeek scripts' operations without
// Broker: checked requests (check_command, as the daemon builds them) run by
// the real CommandExecutor against a real Redis.
//
//   bench_command_executor --redis redis://127.0.0.1:PORT [--ops N]
//                          [--round-trips R] [--window W] [--max-batch B]
//
// Phases, each printed as one "key=value ..." line:
//   fire_and_forget  N INCRBY requests without an id, then one GET with an
//                    id: done when its reply is back (requests run in order,
//                    so every INCRBY has run). ops_per_s counts all N+1.
//   round_trip_1     R GET requests, one outstanding at a time.
//   round_trip_W     R GET requests, W outstanding at a time.
// Requests are built (checked, formatted) inside the timed loop, as the
// daemon's main thread does for every event it receives.

#include <poll.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bench_common.hh"
#include "commands/command_executor.hh"
#include "commands/command_request.hh"
#include "observe/log.hh"

namespace {

using zrb_bench::mono_seconds;
using zrb_bench::Options;
using zrb_bench::StopSignals;

const zrb::CommandAllowlist allowlist;

zrb::CommandRequest make(const std::string& op, zrb::Vector args, uint64_t id) {
  args.emplace_back(id);
  args.emplace_back(std::string(id == 0 ? "" : "replies"));
  zrb::Event event{"zeek/redis/commands", "RedisBridge::op_" + op, std::move(args)};
  auto check = zrb::check_command(event, allowlist, "bench:");
  if (!check.request) throw std::runtime_error("bad request: " + check.detail);
  return std::move(*check.request);
}

void submit(zrb::CommandExecutor& executor, zrb::CommandRequest request) {
  while (!executor.submit(request)) {
    // Full: wait for the executor to catch up, as a producer would have to.
    pollfd none{-1, 0, 0};
    ::poll(&none, 0, 1);
  }
}

// Waits until `n` replies arrived.
void await(zrb::CommandExecutor& executor, size_t n, std::vector<zrb::CommandOutcome>& got) {
  size_t seen = 0;
  while (seen < n) {
    pollfd fd{executor.fd(), POLLIN, 0};
    ::poll(&fd, 1, 1000);
    got.clear();
    seen += executor.poll(got, n - seen);
  }
}

double round_trips(zrb::CommandExecutor& executor, uint64_t total, uint64_t window) {
  std::vector<zrb::CommandOutcome> got;
  uint64_t sent = 0, answered = 0, id = 1;
  double start = mono_seconds();
  while (answered < total) {
    while (sent < total && sent - answered < window) {
      submit(executor, make("get", {"rt"}, id++));
      ++sent;
    }
    pollfd fd{executor.fd(), POLLIN, 0};
    ::poll(&fd, 1, 1000);
    got.clear();
    answered += executor.poll(got, total - answered);
  }
  return mono_seconds() - start;
}

int run(const Options& o) {
  std::string why;
  auto url = zrb::RedisUrl::parse(o.str("--redis", "redis://127.0.0.1:6379"), &why);
  if (!url) throw std::invalid_argument("--redis: " + why);
  const uint64_t ops = o.count("--ops", 1000000);
  const uint64_t trips = o.count("--round-trips", 20000);
  const uint64_t window = o.count("--window", 100);
  zrb::ExecutorOptions eo;
  eo.url = *url;
  eo.max_batch = o.count("--max-batch", 1000);
  zrb::CommandExecutor executor(eo);
  std::vector<zrb::CommandOutcome> got;

  // Connect and warm up outside the clock.
  submit(executor,
         make("set", {"rt", "x", zrb::Timespan{0}, zrb::EnumValue{"RedisBridge::SET_ALWAYS"}}, 1));
  await(executor, 1, got);

  double start = mono_seconds();
  for (uint64_t i = 0; i < ops; ++i) submit(executor, make("incrby", {"n", int64_t{1}}, 0));
  submit(executor, make("get", {"n"}, 2));
  await(executor, 1, got);
  double seconds = mono_seconds() - start;
  std::printf("fire_and_forget ops=%llu seconds=%.3f ops_per_s=%.0f\n",
              static_cast<unsigned long long>(ops + 1), seconds, (ops + 1) / seconds);

  seconds = round_trips(executor, trips, 1);
  std::printf("round_trip_1 trips=%llu seconds=%.3f trips_per_s=%.0f mean_us=%.1f\n",
              static_cast<unsigned long long>(trips), seconds, trips / seconds,
              seconds / trips * 1e6);
  seconds = round_trips(executor, trips * 10, window);
  std::printf("round_trip_%llu trips=%llu seconds=%.3f trips_per_s=%.0f\n",
              static_cast<unsigned long long>(window), static_cast<unsigned long long>(trips * 10),
              seconds, trips * 10 / seconds);
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  StopSignals signals;
  try {
    Options o(argc, argv, {"--redis", "--ops", "--round-trips", "--window", "--max-batch"}, {});
    zrb::set_log_level(zrb::Level::warning);
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_command_executor: %s\n", e.what());
    return 2;
  }
}
