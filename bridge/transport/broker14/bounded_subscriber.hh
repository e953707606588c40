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
#pragma once

#include <broker/endpoint.hh>
#include <broker/message.hh>
#include <broker/subscriber_base.hh>
#include <broker/topic.hh>
#include <caf/actor.hpp>

#include <cstddef>
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
  caf::actor worker_;
};

}  // namespace zrb
