// The Broker transport's options and its constructor. Every Broker build
// of the bridge (transport/broker14/ today) implements make_broker_transport
// with these options, so the config and the daemon do not depend on which
// Broker the bridge was built against.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transport/transport.hh"

namespace zrb {

/// Options of the Broker transport.
struct BrokerOptions {
  /// "addr:port" to listen at; empty: do not listen. Port 0 picks a free one.
  std::string listen = "127.0.0.1:9999";
  /// "host:port" of Zeek nodes to peer with.
  std::vector<std::string> peers;
  /// Seconds between attempts to (re)connect to a peer.
  unsigned retry_seconds = 5;
  /// Topic prefix to subscribe to.
  std::string topic = "zeek/redis/";
  /// Zeek peers with TLS unless `Broker::disable_ssl=T`; match that.
  bool disable_ssl = false;
  /// TLS with certificates, as Zeek's Broker::ssl_certificate, ssl_keyfile,
  /// ssl_passphrase, ssl_cafile, ssl_capath. Without them Broker's TLS is
  /// anonymous (encrypted, not authenticated); with a CA the peer must
  /// present a certificate signed by it. The passphrase is never logged.
  std::string ssl_certificate, ssl_key, ssl_passphrase, ssl_cafile, ssl_capath;
  /// Maximum nesting of a received value (deeper: rejected as too_deep).
  size_t max_depth = 32;
  /// Broker's subscriber queue size (messages).
  size_t queue_size = 1024;
  /// CAF's scheduler: "sharing" (as Zeek runs Broker) or "stealing" (CAF's
  /// default, whose idle threads poll; bench/RESULTS.md measures both).
  std::string scheduler_policy = "sharing";
  /// CAF worker threads.
  unsigned max_threads = 1;
  /// CAF's stream.max-batch-delay (microseconds): how long Broker holds a
  /// batch that is not full before sending it to a peer. CAF's 5 ms default
  /// is most of the latency of intel and messages to Zeek when traffic is
  /// light; under load batches fill and leave at once (bench/RESULTS.md,
  /// "Redis to Zeek intel").
  unsigned max_batch_delay_us = 100;
  /// CAF's stream.credit-round-interval (microseconds), Broker 1.4 only. CAF
  /// 0.17 lets an upstream send twice what it estimates the receiver takes
  /// in one round, from the time the receiving actor spends per message: a
  /// few tens of ns in Broker's core, which only passes pointers on. At
  /// CAF's 10 ms that window was the whole burst (bench/RESULTS.md, issue 14
  /// part 3); it shrinks in proportion to the round.
  unsigned credit_round_us = 20;
};

/// Starts the Broker transport; throws std::runtime_error with a clear
/// message if it cannot listen.
std::unique_ptr<Transport> make_broker_transport(const BrokerOptions& options);

}  // namespace zrb
