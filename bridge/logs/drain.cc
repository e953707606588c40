#include "logs/drain.hh"

#include <algorithm>

#include "observe/counters.hh"
#include "observe/rejection.hh"

namespace zrb {

namespace {

// A topic the bridge will publish on: not empty, bounded, printable (it
// goes into log lines when something is wrong with it).
bool usable_topic(const std::string& topic) {
  if (topic.empty() || topic.size() > Drain::max_topic_bytes) return false;
  return std::all_of(topic.begin(), topic.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

}  // namespace

Drain::Drain(Progress progress, Transport& transport)
    : progress_(std::move(progress)), transport_(transport) {}

void Drain::handle(Event&& ev, Clock::time_point now) {
  const auto& args = ev.args;
  const uint64_t* seq = args.size() == 3 ? args[0].get_if<uint64_t>() : nullptr;
  const std::string* topic = args.size() == 3 ? args[1].get_if<std::string>() : nullptr;
  const Timespan* wait = args.size() == 3 ? args[2].get_if<Timespan>() : nullptr;
  if (seq == nullptr || topic == nullptr || wait == nullptr) {
    reject("bad_arguments", "event " + ev.name +
                                " expects (seq: count, reply_topic: string, wait: interval), got " +
                                std::to_string(args.size()) + " arguments or wrong types");
    return;
  }
  if (!usable_topic(*topic)) {
    reject("bad_arguments", "event " + ev.name + ": reply topic empty, longer than " +
                                std::to_string(max_topic_bytes) +
                                " bytes or holding control characters");
    return;
  }
  if (pending_.size() >= max_pending) {
    reject("too_many_drains", "event " + ev.name + ": " + std::to_string(max_pending) +
                                  " drain requests wait already");
    return;
  }
  counters().get("drain_requests").fetch_add(1, std::memory_order_relaxed);
  auto ns = std::clamp<int64_t>(wait->ns, 0, std::chrono::nanoseconds(max_wait).count());
  pending_.push_back(
      Request{*seq, *topic, progress_().accepted,
              now + std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns))});
  poll(now);
}

void Drain::poll(Clock::time_point now) {
  if (pending_.empty()) return;
  const auto p = progress_();
  // Positions grow with arrival, but deadlines need not: check each.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (p.settled >= it->position || now >= it->deadline) {
      answer(*it, p);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void Drain::answer(const Request& r, const RedisWriter::Progress& p) {
  const uint64_t settled = std::min(r.position, p.settled);
  const uint64_t written = std::min(settled, p.written);
  const uint64_t spooled = settled - written;
  const uint64_t unwritten = r.position - settled;
  counters()
      .get("drain_answers", unwritten == 0 ? "confirmed" : "timeout")
      .fetch_add(1, std::memory_order_relaxed);
  transport_.publish(r.reply_topic, std::string(drained_event),
                     Vector{r.seq, written, spooled, unwritten});
}

}  // namespace zrb
