// BoundedSubscriber (bounded_subscriber.hh): broker::subscriber's worker
// (Broker 1.4, src/subscriber.cc) with a fixed credit window instead of
// CAF 0.17's estimate.

#include "transport/broker14/bounded_subscriber.hh"

#include <broker/atoms.hh>
#include <caf/attach_stream_sink.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/inbound_path.hpp>
#include <caf/send.hpp>
#include <caf/stream_sink.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include "observe/log.hh"

namespace zrb {

namespace {

using QueuePtr = broker::detail::shared_subscriber_queue_ptr<broker::data_message>;
using ClosedFlag = std::shared_ptr<const std::atomic<bool>>;

class BoundedSink final : public caf::stream_sink<broker::data_message> {
 public:
  BoundedSink(caf::scheduled_actor* self, QueuePtr queue, size_t max_qsize, ClosedFlag closed)
      : caf::stream_manager(self),
        caf::stream_sink<broker::data_message>(self),
        queue_(std::move(queue)),
        max_(static_cast<int64_t>(max_qsize)),
        closed_(std::move(closed)) {}

  // As Broker's subscriber: a batch is not handled while the queue is full.
  // With the window below the queue is full only once nothing granted is
  // still on its way, so no batch waits for this. Once closed, never: the
  // core must be able to hand over all it holds (bounded_subscriber.hh).
  bool congested() const noexcept override {
    return !closed_->load() && static_cast<int64_t>(queue_->buffer_size()) >= max_;
  }

  // CAF asks at every credit round (and once when the stream opens) how much
  // more the upstream may send. Whatever CAF's estimate (`desired`), the
  // answer tops the window up: messages queued plus messages granted but not
  // handled yet stay at most max_qsize. Once closed, at least a window per
  // round, so that the core empties its buffers for us and can end.
  int32_t acquire_credit(caf::inbound_path* path, int32_t desired) override {
    if (closed_->load()) return static_cast<int32_t>(std::max<int64_t>(desired, max_));
    auto used = static_cast<int64_t>(queue_->buffer_size()) + path->assigned_credit;
    return static_cast<int32_t>(std::clamp<int64_t>(max_ - used, 0, INT32_MAX));
  }

 protected:
  void handle(caf::inbound_path*, caf::downstream_msg::batch& x) override {
    // Closed: nobody reads the queue any more.
    if (closed_->load()) return;
    using Batch = std::vector<broker::data_message>;
    if (!x.xs.match_elements<Batch>()) {
      // Broker's core sends workers nothing else; Broker's subscriber drops
      // such a batch too.
      log_warning("broker: a batch of unexpected type from Broker's core dropped");
      return;
    }
    auto& xs = x.xs.get_mutable_as<Batch>(0);
    queue_->produce(xs.size(), std::make_move_iterator(xs.begin()),
                    std::make_move_iterator(xs.end()));
  }

 private:
  QueuePtr queue_;
  int64_t max_;
  ClosedFlag closed_;
};

caf::behavior bounded_worker(caf::event_based_actor* self, caf::actor core, QueuePtr queue,
                             std::vector<broker::topic> topics, size_t max_qsize,
                             ClosedFlag closed) {
  // The worker ends with the core, not before (bounded_subscriber.hh).
  self->monitor(core);
  self->set_down_handler([self](caf::down_msg& down) { self->quit(std::move(down.reason)); });
  // As Broker's own subscriber: join the core with our topics; the core
  // answers with the stream of matching messages.
  self->send(self * core, broker::atom::join_v, std::move(topics));
  self->set_default_handler(caf::skip);
  return {[=](const broker::endpoint::stream_type& in) {
    auto mgr = caf::make_counted<BoundedSink>(self, queue, max_qsize, closed);
    mgr->add_unchecked_inbound_path(in);
    self->set_default_handler(caf::print_and_drop);
    // A message wakes the actor, which then takes the batches it left in its
    // mailbox while the queue was full.
    self->become([](broker::atom::resume) {});
  }};
}

}  // namespace

BoundedSubscriber::BoundedSubscriber(broker::endpoint& ep, std::vector<broker::topic> topics,
                                     size_t max_qsize)
    : subscriber_base(static_cast<long>(max_qsize)),
      closed_(std::make_shared<std::atomic<bool>>(false)),
      worker_(ep.system().spawn(bounded_worker, ep.core(), queue_, std::move(topics), max_qsize,
                                closed_)) {}

BoundedSubscriber::~BoundedSubscriber() {
  // No exit for the worker: it ends when the endpoint's shutdown ends the
  // core. The message wakes it to take what it held back while congested.
  closed_->store(true);
  caf::anon_send(worker_, broker::atom::resume_v);
}

void BoundedSubscriber::became_not_full() {
  caf::anon_send(worker_, broker::atom::resume_v);
}

}  // namespace zrb
