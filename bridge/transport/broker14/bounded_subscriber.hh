// A Broker 1.4 subscriber whose queue, together with what Broker may still
// deliver into it, never holds more than its size in messages.
//
// broker::subscriber's worker grants credit the way CAF 0.17 estimates it:
// twice what it could take in one credit round at the speed it moves a
// message into the queue (nanoseconds), so after any round in which it was
// not congested it asks the core for thousands of messages at once. With
// Redis slower than the publisher that credit let the whole burst into the
// bridge (a million conn records: 1.5-1.9 GiB with Redis stopped,
// bench/RESULTS.md, issue 14 part 3). Here the credit is a fixed window:
// queued + granted-but-not-yet-handled <= max_qsize, so a slow bridge stops
// the core, and the core stops the peer (Broker 1.4 has backpressure
// between peers).
//
// Shutting down: when the worker leaves the stream, Broker's core drops its
// path to us but keeps what it buffered for its workers and not yet handed
// to a path (CAF 0.17's broadcast_downstream_manager only empties that buffer
// into paths, and has none left), and then never counts as done: the
// endpoint's destructor waited forever in ~actor_system for the core
// (bench/RESULTS.md, issue 14 part 3; with the fixed window that buffer is
// rarely empty). So the worker does not leave first. The destructor marks the
// subscriber closed: the sink is no longer congested, grants credit freely and
// drops what arrives (messages the bridge never took: the peer's, as with
// Broker's own subscriber, whose queue goes with it); the core, shut down by
// the endpoint's destructor next, hands all it holds over and ends; the
// worker, watching the core, ends with it.
#pragma once

#include <broker/endpoint.hh>
#include <broker/message.hh>
#include <broker/subscriber_base.hh>
#include <broker/topic.hh>
#include <caf/actor.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace zrb {

class BoundedSubscriber : public broker::subscriber_base<broker::data_message> {
 public:
  BoundedSubscriber(broker::endpoint& ep, std::vector<broker::topic> topics, size_t max_qsize);
  ~BoundedSubscriber() override;
  BoundedSubscriber(const BoundedSubscriber&) = delete;
  BoundedSubscriber& operator=(const BoundedSubscriber&) = delete;

 protected:
  void became_not_full() override;

 private:
  // Set once, by the destructor; read by the worker's sink on CAF's threads.
  std::shared_ptr<std::atomic<bool>> closed_;
  caf::actor worker_;
};

}  // namespace zrb
