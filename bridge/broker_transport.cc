// The Broker transport: a libbroker endpoint that listens for and/or peers
// with Zeek nodes, subscribes to the bridge's topic prefix and turns Zeek
// event messages into zrb::Event.
//
// This file and broker_data.cc are the only code that includes libbroker.
// The Broker of Zeek 3.2 (Debian's libbroker 1.4, CAF in its headers) is the
// one built and tested here. The message layout handled below
// ([version, type, [name, args, ...]]) is the same in newer Brokers; their
// C++ API differs (see docs/broker-versions.md).

#include <poll.h>
#include <broker/broker.hh>
#include <broker/zeek.hh>

#include <atomic>
#include <stdexcept>

#include "broker_data.hh"
#include "counters.hh"
#include "log.hh"
#include "transport.hh"
#include "transport_support.hh"

namespace zrb {

namespace {

std::string peer_name(const broker::status& s) {
  if (auto info = s.context<broker::endpoint_info>(); info && info->network)
    return info->network->address + ":" + std::to_string(info->network->port);
  return "(unknown peer)";
}

class BrokerTransport final : public Transport {
 public:
  explicit BrokerTransport(const BrokerOptions& opts)
      : options_(opts),
        endpoint_(make_configuration(opts)),
        subscriber_(endpoint_.make_subscriber({broker::topic{opts.topic}}, opts.queue_size)),
        status_(endpoint_.make_status_subscriber(true)),
        received_(counters().get("broker_messages_received")) {
    if (!opts.listen.empty()) {
      std::string host;
      uint16_t port = 0;
      host_port_option("broker.listen", opts.listen, host, port);
      auto bound = endpoint_.listen(host, port);
      if (bound == 0)
        throw std::runtime_error("broker: cannot listen on " + opts.listen +
                                 " (address in use or not local?)");
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

  void publish(const std::string& topic, const std::string& name, Vector args) override {
    broker::vector xs;
    xs.reserve(args.size());
    for (const auto& a : args) xs.push_back(to_broker(a));
    endpoint_.publish(broker::topic{topic}, broker::zeek::Event(name, std::move(xs)));
  }

  size_t peer_count() const override { return peers_.count(); }

  int fd() const override { return subscriber_.fd(); }

 private:
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
    return cfg;
  }

  bool decode(const broker::data_message& msg, std::vector<Event>& out) {
    const auto& topic = broker::get_topic(msg).string();
    const auto& d = broker::get_data(msg);
    auto event = as_zeek_event(d);
    if (event.name == nullptr) {
      // Described from the converted value: describe() stays short however
      // large the message is, where broker::to_string would render all of it.
      Value shown;
      from_broker(d, shown, options_.max_depth);
      reject_not_an_event(topic, shown);
      return false;
    }
    return append_event(
        topic, *event.name, *event.args, options_.max_depth,
        [](const broker::data& a, Value& v, size_t max) { return from_broker(a, v, max); }, out);
  }

  void drain_statuses() {
    for (auto& s : status_.poll()) {
      if (auto st = caf::get_if<broker::status>(&s)) {
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
      } else if (auto err = caf::get_if<broker::error>(&s)) {
        log_warning("broker: ", caf::to_string(*err));
      }
    }
  }

  BrokerOptions options_;
  broker::endpoint endpoint_;
  broker::subscriber subscriber_;
  broker::status_subscriber status_;
  PeerTracker peers_;
  std::atomic<uint64_t>& received_;
};

}  // namespace

std::unique_ptr<Transport> make_broker_transport(const BrokerOptions& options) {
  return std::make_unique<BrokerTransport>(options);
}

}  // namespace zrb
