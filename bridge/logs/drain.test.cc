#include "logs/drain.hh"

#include <doctest/doctest.h>

#include "support/test_observe.hh"

using namespace zrb;

namespace {

// Keeps what is published.
class RecordingTransport final : public Transport {
 public:
  size_t receive(std::vector<Event>&, size_t, std::chrono::milliseconds) override { return 0; }
  void publish(const std::string& topic, const std::string& name, Vector args) override {
    published.push_back(Event{topic, name, std::move(args)});
  }
  size_t peer_count() const override { return 1; }
  int fd() const override { return -1; }
  std::vector<Event> published;
};

Event request(Vector args) {
  return Event{"zeek/redis/logs", std::string(drain_event), std::move(args)};
}

Vector args(uint64_t seq, std::string topic = "zeek/redis/drained/zeek/",
            std::chrono::milliseconds wait = std::chrono::milliseconds(2000)) {
  return Vector{seq, std::move(topic),
                Timespan{std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count()}};
}

Vector answer(uint64_t seq, uint64_t written, uint64_t spooled, uint64_t unwritten) {
  return Vector{seq, written, spooled, unwritten};
}

}  // namespace

TEST_CASE("drain: answered once every record before the request left memory") {
  RecordingTransport t;
  RedisWriter::Progress p{10, 4, 4};
  Drain d([&] { return p; }, t);
  auto now = Drain::Clock::now();
  d.handle(request(args(1)), now);
  CHECK(t.published.empty());
  p.accepted = 15;  // records after the request do not matter
  p.settled = p.written = 9;
  d.poll(now);
  CHECK(t.published.empty());
  p.settled = p.written = 10;
  d.poll(now);
  REQUIRE(t.published.size() == 1);
  CHECK(t.published[0].topic == "zeek/redis/drained/zeek/");
  CHECK(t.published[0].name == drained_event);
  CHECK(t.published[0].args == answer(1, 10, 0, 0));
  CHECK(d.pending() == 0);
}

TEST_CASE("drain: answered at once when nothing is outstanding, spool counted apart") {
  RecordingTransport t;
  RedisWriter::Progress p{20, 20, 12};  // 8 in the spool: Redis is away
  Drain d([&] { return p; }, t);
  d.handle(request(args(7)));
  REQUIRE(t.published.size() == 1);
  CHECK(t.published[0].args == answer(7, 12, 8, 0));
}

TEST_CASE("drain: the request's wait bounds the answer, which then says what is unwritten") {
  test::Delta timeouts("drain_answers", "timeout");
  RecordingTransport t;
  RedisWriter::Progress p{30, 25, 25};
  Drain d([&] { return p; }, t);
  auto now = Drain::Clock::now();
  d.handle(request(args(2, "r/", std::chrono::milliseconds(500))), now);
  d.handle(request(args(3, "r/", std::chrono::milliseconds(100))), now);
  d.poll(now + std::chrono::milliseconds(200));  // the later request times out first
  REQUIRE(t.published.size() == 1);
  CHECK(t.published[0].args == answer(3, 25, 0, 5));
  d.poll(now + std::chrono::milliseconds(600));
  REQUIRE(t.published.size() == 2);
  CHECK(t.published[1].args == answer(2, 25, 0, 5));
  CHECK(timeouts() == 2);
}

TEST_CASE("drain: bad requests are rejected and counted, never answered") {
  test::Delta bad("rejected", "bad_arguments");
  RecordingTransport t;
  Drain d([] { return RedisWriter::Progress{}; }, t);
  d.handle(request(Vector{}));
  d.handle(request(Vector{uint64_t{1}, "t"}));                       // arity
  d.handle(request(Vector{int64_t{1}, "t", Timespan{0}}));           // int, not count
  d.handle(request(Vector{uint64_t{1}, uint64_t{2}, Timespan{0}}));  // topic not a string
  d.handle(request(Vector{uint64_t{1}, "t", uint64_t{2}}));          // wait not an interval
  d.handle(request(args(1, "")));                                    // empty topic
  d.handle(request(args(1, "a\r\nforged")));                         // control characters
  d.handle(request(args(1, std::string(Drain::max_topic_bytes + 1, 'x'))));
  CHECK(bad() == 8);
  CHECK(t.published.empty());
  CHECK(d.pending() == 0);
}

TEST_CASE("drain: waiting requests are bounded") {
  test::Delta refused("rejected", "too_many_drains");
  RecordingTransport t;
  Drain d([] { return RedisWriter::Progress{1, 0, 0}; }, t);
  for (size_t i = 0; i < Drain::max_pending + 3; ++i) d.handle(request(args(i)));
  CHECK(d.pending() == Drain::max_pending);
  CHECK(refused() == 3);
}
