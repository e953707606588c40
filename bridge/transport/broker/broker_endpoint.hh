// The part of a Broker transport whose code reads the same in Broker 1.4 and
// in the C++20 Broker of Zeek 6.2+: the endpoint, its subscriber and status
// subscriber, listening, peering with retries, receiving, peer changes.
//
// Each transport (broker_transport.cc, broker2_transport.cc) derives from
// BrokerEndpoint<itself> and supplies what its API does differently:
//
//   static broker::configuration make_configuration(const BrokerOptions&);
//   static uint16_t listen(broker::endpoint&, host, port, std::string& error);
//   static std::string_view topic_of(const broker::data_message&);
//   static const broker::status* as_status(const status item&);
//   static const broker::error* as_error(const status item&);
//   static std::string to_text(const broker::error&);
//   static auto zeek_event_of(const data&);          // its converter's as_zeek_event
//   static DecodeError convert(const data&, Value&, size_t max_depth);  // from_broker
//
// (The converter comes through Derived so that this shared header includes
// no flavour's folder: transport/broker/ sits below broker14/ and broker2/.)
//
// Included only by the transports, each compiled against its own Broker.
#pragma once

#include <poll.h>
#include <broker/broker.hh>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "observe/counters.hh"
#include "observe/log.hh"
#include "transport/broker.hh"
#include "transport/broker/transport_support.hh"
#include "transport/transport.hh"

namespace zrb {

template <class Derived, class Subscriber = broker::subscriber>
class BrokerEndpoint : public Transport {
 public:
  explicit BrokerEndpoint(const BrokerOptions& opts)
      : options_(opts),
        endpoint_(Derived::make_configuration(opts)),
        subscriber_(subscribe(endpoint_, opts)),
        status_(endpoint_.make_status_subscriber(true)),
        received_(counters().get("broker_messages_received")) {
    if (!opts.listen.empty()) {
      std::string host;
      uint16_t port = 0;
      host_port_option("broker.listen", opts.listen, host, port);
      std::string error;
      auto bound = Derived::listen(endpoint_, host, port, error);
      if (bound == 0)
        throw std::runtime_error("broker: cannot listen on " + opts.listen + " (" + error + ")");
      log_info("broker: listening on ", host, ":", bound, " for Zeek peers, topic prefix '",
               opts.topic, "'");
    }
    for (const auto& peer : opts.peers) {
      std::string host;
      uint16_t port = 0;
      host_port_option("broker.peer", peer, host, port);
      // Non-blocking: Broker keeps retrying every retry_seconds and reports
      // each outcome on the status subscriber.
      endpoint_.peer_nosync(host, port, broker::timeout::seconds(opts.retry_seconds));
      log_info("broker: peering with ", peer, " (retry every ", opts.retry_seconds, " s)");
    }
  }

  size_t receive(std::vector<Event>& out, size_t max, std::chrono::milliseconds timeout) override {
    drain_statuses();
    if (subscriber_.available() == 0 && timeout.count() > 0) {
      pollfd fd{subscriber_.fd(), POLLIN, 0};
      ::poll(&fd, 1, static_cast<int>(timeout.count()));
      drain_statuses();
    }
    size_t n = std::min(subscriber_.available(), max);
    if (n == 0) return 0;
    size_t appended = 0;
    for (auto& msg : subscriber_.get(n)) {
      ++received_;
      if (decode(msg, out)) ++appended;
    }
    return appended;
  }

  size_t peer_count() const override { return peers_.count(); }

  int fd() const override { return subscriber_.fd(); }

 protected:
  // Broker's own subscriber, or the flavour's (Broker 1.4: BoundedSubscriber,
  // whose window bounds what Broker holds for the bridge).
  static Subscriber subscribe(broker::endpoint& ep, const BrokerOptions& opts) {
    if constexpr (std::is_same_v<Subscriber, broker::subscriber>)
      return ep.make_subscriber({broker::topic{opts.topic}}, opts.queue_size);
    else
      return Subscriber(ep, {broker::topic{opts.topic}}, opts.queue_size);
  }

  static std::string peer_name(const broker::status& s) {
    if (auto info = s.template context<broker::endpoint_info>(); info && info->network)
      return info->network->address + ":" + std::to_string(info->network->port);
    return "(unknown peer)";
  }

  // A Zeek event becomes an Event; anything else, or an event nesting too
  // deep, is rejected (transport_support.hh).
  bool decode(const broker::data_message& msg, std::vector<Event>& out) {
    auto topic = Derived::topic_of(msg);
    const auto& d = broker::get_data(msg);
    auto event = Derived::zeek_event_of(d);
    if (event.args == nullptr) {
      // Described from the converted value: describe() stays short however
      // large the message is, where broker::to_string would render all of it.
      Value shown;
      Derived::convert(d, shown, options_.max_depth);
      reject_not_an_event(topic, shown);
      return false;
    }
    return append_event(
        topic, event.name, *event.args, options_.max_depth,
        [](const auto& a, Value& v, size_t max) { return Derived::convert(a, v, max); }, out);
  }

  void drain_statuses() {
    for (auto& s : status_.poll()) {
      if (auto st = Derived::as_status(s)) {
        switch (st->code()) {
          case broker::sc::peer_added:
            peers_.added(peer_name(*st), peer_handler_);
            break;
          case broker::sc::peer_lost:
          case broker::sc::peer_removed:
            peers_.lost(peer_name(*st), peer_handler_);
            break;
          default:
            break;
        }
      } else if (auto err = Derived::as_error(s)) {
        log_warning("broker: ", Derived::to_text(*err));
      }
    }
  }

  BrokerOptions options_;
  broker::endpoint endpoint_;
  Subscriber subscriber_;
  broker::status_subscriber status_;
  PeerTracker peers_;
  std::atomic<uint64_t>& received_;
};

}  // namespace zrb
