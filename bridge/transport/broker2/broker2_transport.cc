// The transport for the C++20 Broker of Zeek 6.2 and later (Zeek 8.0's
// Broker among them): a libbroker endpoint that listens for and/or peers with
// Zeek nodes, subscribes to the bridge's topic prefix and turns Zeek event
// messages into zrb::Event.
//
// The twin of broker_transport.cc (Broker 1.4, Zeek 3.1/3.2), with the same
// options and behaviour; the differences are the API's
// (docs/broker-versions.md): a received message is an envelope whose data is
// a broker::variant view, statuses come as std::variant, CAF's settings live
// under "caf.", and there is no CAF stream batching to tune. What both
// transports do alike is in broker_endpoint.hh (the endpoint, receiving,
// peer changes) and transport_support.{hh,cc} (options, rejections, peer
// counting); the value conversion in broker2_data.cc.
//
// This file and broker2_data.cc are the only code of this build that
// includes libbroker.

#include <broker/broker.hh>
#include <broker/zeek.hh>

#include "transport/broker/broker_endpoint.hh"
#include "transport/broker2/broker2_data.hh"

namespace zrb {

namespace {

class Broker2Transport final : public BrokerEndpoint<Broker2Transport> {
 public:
  using BrokerEndpoint::BrokerEndpoint;

  void publish(const std::string& topic, const std::string& name, Vector args) override {
    broker::vector xs;
    xs.reserve(args.size());
    for (const auto& a : args) xs.push_back(to_broker(a));
    endpoint_.publish(std::string_view{topic}, broker::zeek::Event(name, xs));
  }

  // --- what this Broker's API does its own way (broker_endpoint.hh) ---

  static broker::configuration make_configuration(const BrokerOptions& opts) {
    broker::broker_options o;
    o.disable_ssl = opts.disable_ssl;
    // The bridge is a leaf: it must not relay one Zeek node's messages to
    // another.
    o.disable_forwarding = true;
    o.ignore_broker_conf = true;
    broker::configuration cfg{o};
    // What Zeek's broker::Manager sets from Broker::ssl_*; empty means unset.
    cfg.openssl_certificate(opts.ssl_certificate);
    cfg.openssl_key(opts.ssl_key);
    cfg.openssl_passphrase(opts.ssl_passphrase);
    cfg.openssl_cafile(opts.ssl_cafile);
    cfg.openssl_capath(opts.ssl_capath);
    // Zeek runs Broker on CAF's sharing scheduler with one thread
    // (Broker::scheduler_policy, Broker::max_threads); see
    // broker_transport.cc. CAF 0.18+ reads these under "caf.".
    cfg.set("caf.scheduler.policy",
            std::string(opts.scheduler_policy == "stealing" ? "stealing" : "sharing"));
    cfg.set("caf.scheduler.max-threads", static_cast<uint64_t>(opts.max_threads));
    // options.max_batch_delay_us and credit_round_us have no counterpart:
    // this Broker ships over CAF flows, not CAF 0.17's streams with their
    // stream.max-batch-delay and credit rounds.
    return cfg;
  }

  static std::string_view topic_of(const broker::data_message& msg) {
    return broker::get_topic(msg);
  }

  static uint16_t listen(broker::endpoint& ep, const std::string& host, uint16_t port,
                         std::string& error) {
    broker::error err;
    auto bound = ep.listen(host, port, &err);
    if (bound == 0) error = broker::to_string(err);
    return bound;
  }

  static const broker::status* as_status(const broker::status_subscriber::value_type& s) {
    return std::get_if<broker::status>(&s);
  }
  static const broker::error* as_error(const broker::status_subscriber::value_type& s) {
    return std::get_if<broker::error>(&s);
  }
  static std::string to_text(const broker::error& err) { return broker::to_string(err); }
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
  return std::make_unique<Broker2Transport>(options);
}

}  // namespace zrb
