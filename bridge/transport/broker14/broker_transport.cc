// The Broker transport: a libbroker endpoint that listens for and/or peers
// with Zeek nodes, subscribes to the bridge's topic prefix and turns Zeek
// event messages into zrb::Event.
//
// The Broker of Zeek 3.1/3.2 (Debian's libbroker 1.4, CAF in its headers).
// The endpoint, receiving and peer changes are broker_endpoint.hh's, shared
// with the transport for the C++20 Broker of Zeek 6.2+ (broker2_transport.cc);
// this file holds what Broker 1.4's API does its own way. With
// broker_data.cc it is the only code of this build that includes libbroker.

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include "transport/broker/broker_endpoint.hh"
#include "transport/broker14/bounded_subscriber.hh"
#include "transport/broker14/broker_data.hh"

namespace zrb {

namespace {

class BrokerTransport final : public BrokerEndpoint<BrokerTransport, BoundedSubscriber> {
 public:
  using BrokerEndpoint::BrokerEndpoint;

  void publish(const std::string& topic, const std::string& name, Vector args) override {
    broker::vector xs;
    xs.reserve(args.size());
    for (const auto& a : args) xs.push_back(to_broker(a));
    endpoint_.publish(broker::topic{topic}, broker::zeek::Event(name, std::move(xs)));
  }

  // --- what Broker 1.4 does its own way (broker_endpoint.hh) ---

  static broker::configuration make_configuration(const BrokerOptions& opts) {
    broker::broker_options o;
    o.disable_ssl = opts.disable_ssl;
    // The bridge is a leaf: it must not relay one Zeek node's messages to
    // another.
    o.forward = false;
    o.ignore_broker_conf = true;
    broker::configuration cfg{o};
    // CAF's OpenSSL module reads these (what Zeek's broker::Manager sets
    // from Broker::ssl_*); empty means unset.
    cfg.openssl_certificate = opts.ssl_certificate;
    cfg.openssl_key = opts.ssl_key;
    cfg.openssl_passphrase = opts.ssl_passphrase;
    cfg.openssl_cafile = opts.ssl_cafile;
    cfg.openssl_capath = opts.ssl_capath;
    // Zeek runs Broker on CAF's sharing scheduler with one thread
    // (Broker::scheduler_policy, Broker::max_threads). CAF's default, work
    // stealing with max(4, cores) threads that poll when idle, cost the
    // bridge a third of its CPU on 2 cores (bench/RESULTS.md).
    if (opts.scheduler_policy == "stealing")
      cfg.set("scheduler.policy", caf::atom("stealing"));
    else
      cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("scheduler.max-threads", static_cast<size_t>(opts.max_threads));
    cfg.set("stream.max-batch-delay",
            caf::timespan(std::chrono::microseconds(opts.max_batch_delay_us)));
    // Broker's core forwards a peer's messages to the bridge's subscriber
    // (BoundedSubscriber, which bounds what it queues) and grants the peer
    // credit by CAF 0.17's estimate, which grows with the round's length.
    cfg.set("stream.credit-round-interval",
            caf::timespan(std::chrono::microseconds(opts.credit_round_us)));
    return cfg;
  }

  static std::string_view topic_of(const broker::data_message& msg) {
    return broker::get_topic(msg).string();
  }

  static uint16_t listen(broker::endpoint& ep, const std::string& host, uint16_t port,
                         std::string& error) {
    error = "address in use or not local?";
    return ep.listen(host, port);
  }

  static const broker::status* as_status(const broker::status_subscriber::value_type& s) {
    return caf::get_if<broker::status>(&s);
  }
  static const broker::error* as_error(const broker::status_subscriber::value_type& s) {
    return caf::get_if<broker::error>(&s);
  }
  static std::string to_text(const broker::error& err) { return caf::to_string(err); }
  // This Broker's converter, for BrokerEndpoint (broker_endpoint.hh).
  template <class Data>
  static auto zeek_event_of(const Data& d) {
    return as_zeek_event(d);
  }
  template <class Data>
  static DecodeError convert(const Data& d, Value& out, size_t max_depth) {
    return from_broker(d, out, max_depth);
  }
};

}  // namespace

std::unique_ptr<Transport> make_broker_transport(const BrokerOptions& options) {
  return std::make_unique<BrokerTransport>(options);
}

}  // namespace zrb
