// bench_decode_sink: Broker's own ceiling for a publisher (Broker 1.4, or the
// C++20 Broker of Zeek 6.2+; broker_peer.hh). It receives
// what bench_publisher sends, exactly as the bridge does (a subscriber on
// the bridge's topic prefix, the same queue size), and only walks each
// event: checks that it is a Zeek event, visits every value of its
// arguments and counts the records of each log_batch. No conversion, no
// Redis: whatever rate this reaches is the most the bridge can reach
// through Broker with the same publisher.
//
//   bench_decode_sink (--listen HOST:PORT | --peer HOST:PORT) --records N
//                     [--caf-policy sharing|stealing|default] [--caf-threads T]
//                     [--work-ns W] [--work-thread]
//
// --work-ns makes the sink busy-wait W ns per record after decoding it: a
// consumer as slow as the bridge's conversion, to see how Broker's delivery
// rate depends on the consumer's speed. --work-thread does that handling on
// a second thread, the receiving thread only taking messages from Broker.
//
// stderr: "listening on HOST:PORT" (port 0 picks one), like the bridge.
// stdout: "first mono=<t>" at the first record, then once N records have
// arrived "done records=... seconds=... records_per_s=... end_mono=...
// cpu_s=... peak_rss_kib=..." (seconds from the first record to the Nth;
// the peak resident set: Broker's own memory for the run, as a floor for
// the bridge's).

#include <poll.h>
#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bench_common.hh"
#include "broker_peer.hh"

namespace {

using namespace zrb_bench;

// Visits every value, as a decoder must; the sum of sizes keeps the
// compiler from dropping the walk. The container and string types are the
// received message's own (views in the C++20 Broker; broker_peer.hh).
struct Walker {
  uint64_t touched = 0;
  void operator()(broker::none) { ++touched; }
  void operator()(broker::boolean b) { touched += b ? 1 : 2; }
  void operator()(broker::count c) { touched += c & 1; }
  void operator()(broker::integer i) { touched += static_cast<uint64_t>(i) & 1; }
  void operator()(broker::real r) { touched += r > 0; }
  void operator()(std::string_view s) { touched += s.size(); }
  void operator()(const broker::address& a) { touched += a.bytes()[15]; }
  void operator()(const broker::subnet& s) { touched += s.length(); }
  void operator()(const broker::port& p) { touched += p.number(); }
  void operator()(const broker::timestamp& t) {
    touched += static_cast<uint64_t>(t.time_since_epoch().count()) & 1;
  }
  void operator()(const broker::timespan& t) { touched += static_cast<uint64_t>(t.count()) & 1; }
  void operator()(const enum_t& e) { touched += e.name.size(); }
  void operator()(const list_t& v) {
    for (const auto& x : v) visit_value(*this, x);
  }
  void operator()(const set_t& s) {
    for (const auto& x : s) visit_value(*this, x);
  }
  void operator()(const table_t& t) {
    for (const auto& [k, v] : t) {
      visit_value(*this, k);
      visit_value(*this, v);
    }
  }
};

struct Tally {
  uint64_t records = 0;
  uint64_t batches = 0;
  uint64_t schemas = 0;
  uint64_t other = 0;
  Walker walker;
};

void decode(const broker::data_message& msg, Tally& tally) {
  bool known = false;
  bool is_event = with_event(msg, [&](std::string_view name, const list_t& args) {
    std::optional<size_t> records;
    size_t i = 0;
    for (const auto& a : args) {
      visit_value(tally.walker, a);
      if (i++ == 2) records = list_size(a);
    }
    if (name == "RedisBridge::log_batch" && args.size() == 3 && records) {
      tally.records += *records;
      ++tally.batches;
      known = true;
    } else if (name == "RedisBridge::log_schema") {
      ++tally.schemas;
      known = true;
    }
  });
  if (!is_event || !known) ++tally.other;
}

// Busy-waits `ns` nanoseconds: the cost of a consumer that does more with a
// record than walk it (--work-ns), without touching memory or the kernel.
void spin_for(uint64_t ns) {
  if (ns == 0) return;
  const double until = mono_seconds() + static_cast<double>(ns) / 1e9;
  while (mono_seconds() < until) {
  }
}

// Decodes messages, adds the configured work per record, and notes when the
// first record arrived.
class Handler {
 public:
  explicit Handler(uint64_t work_ns) : work_ns_(work_ns) {}

  void handle(const broker::data_message& msg) {
    const uint64_t before = tally_.records;
    decode(msg, tally_);
    spin_for(work_ns_ * (tally_.records - before));
    if (first_ == 0 && tally_.records > 0) {
      first_ = mono_seconds();
      cpu0_ = process_cpu_seconds();
      std::printf("first mono=%.6f\n", first_);
      std::fflush(stdout);
    }
    records_.store(tally_.records, std::memory_order_release);
  }

  /// Records handled so far; any thread.
  uint64_t records() const { return records_.load(std::memory_order_acquire); }
  // Read once handling has stopped.
  const Tally& tally() const { return tally_; }
  double first() const { return first_; }
  double cpu_at_first() const { return cpu0_; }

 private:
  uint64_t work_ns_;
  Tally tally_;
  std::atomic<uint64_t> records_{0};
  double first_ = 0, cpu0_ = 0;
};

// A second thread that handles messages handed over through a bounded queue.
class HandoffThread {
 public:
  HandoffThread(Handler& handler, size_t capacity) : handler_(handler), capacity_(capacity) {
    thread_ = std::thread([this] { run(); });
  }
  ~HandoffThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    ready_.notify_all();
    thread_.join();
  }
  HandoffThread(const HandoffThread&) = delete;
  HandoffThread& operator=(const HandoffThread&) = delete;

  /// Waits while the queue is full (until `deadline`, a mono_seconds()).
  void push(broker::data_message msg, double deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (queue_.size() >= capacity_ && mono_seconds() < deadline)
      room_.wait_for(lock, std::chrono::milliseconds(10));
    queue_.push_back(std::move(msg));
    lock.unlock();
    ready_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      broker::data_message msg;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return done_ || !queue_.empty(); });
        if (queue_.empty()) return;  // done_ and nothing left
        msg = std::move(queue_.front());
        queue_.pop_front();
      }
      room_.notify_one();
      handler_.handle(msg);
    }
  }

  Handler& handler_;
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<broker::data_message> queue_;
  bool done_ = false;
  std::thread thread_;
};

int run(const Options& o) {
  const uint64_t want = o.count("--records", 1000000);
  const uint64_t work_ns = o.count("--work-ns", 0);
  const double timeout_s = o.real("--timeout-s", 600);
  const auto queue = o.count("--queue", 1024);  // the bridge's --broker.queue default
  // Default: the bridge's own CAF settings (sharing, one thread, as Zeek
  // runs Broker), so the ceiling is measured under the bridge's conditions.
  broker::endpoint ep{
      peer_configuration(o.str("--caf-policy", "sharing"), o.count("--caf-threads", 1))};
  auto sub = ep.make_subscriber({broker::topic{o.str("--topic", "zeek/redis/")}}, queue);
  if (o.has("--listen") == o.has("--peer"))
    throw std::invalid_argument("give --listen HOST:PORT or --peer HOST:PORT");
  if (!reach(ep, o.str("--listen", ""), o.str("--peer", ""), "bench_decode_sink")) return 1;

  // Inline: the thread that takes messages from Broker also handles them,
  // as the bridge's main loop does. --work-thread: it only hands them to a
  // second thread through a bounded queue, and that thread handles them.
  Handler handler(work_ns);
  std::unique_ptr<HandoffThread> worker;
  if (o.has("--work-thread")) worker = std::make_unique<HandoffThread>(handler, 64);
  const double deadline = mono_seconds() + timeout_s;
  receive_until(sub, deadline, [&](broker::data_message& msg) {
    if (worker)
      worker->push(std::move(msg), deadline);
    else
      handler.handle(msg);
    return handler.records() < want;
  });
  // The handler thread may still be on the last messages.
  while (worker && handler.records() < want && !stop_requested && mono_seconds() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  worker.reset();
  const Tally& tally = handler.tally();
  const double first = handler.first(), cpu0 = handler.cpu_at_first();
  const double end = mono_seconds();
  const double secs = end - first;
  std::printf("done records=%" PRIu64 " batches=%" PRIu64 " schemas=%" PRIu64 " other=%" PRIu64
              " seconds=%.3f records_per_s=%.0f end_mono=%.6f cpu_s=%.3f touched=%" PRIu64
              " peak_rss_kib=%" PRIu64 "\n",
              tally.records, tally.batches, tally.schemas, tally.other, secs,
              first > 0 ? static_cast<double>(tally.records) / std::max(secs, 1e-9) : 0.0, end,
              process_cpu_seconds() - cpu0, tally.walker.touched, peak_rss_kib());
  std::fflush(stdout);
  return tally.records >= want ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  StopSignals signals;
  try {
    Options o(argc, argv,
              {"--listen", "--peer", "--records", "--topic", "--queue", "--timeout-s",
               "--caf-policy", "--caf-threads", "--work-ns"},
              {"--work-thread"});
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_decode_sink: %s\n", e.what());
    return 2;
  }
}
