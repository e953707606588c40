// The boundary between the bridge and whatever carries Zeek events.
//
// Everything past this interface sees only zrb::Value. libbroker is used in
// exactly one place (broker_transport.cc, broker_data.cc), so building
// against another Broker API, or adding Zeek's WebSocket API as a second
// transport, touches nothing in protocol, conversion or Redis code.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "value.hh"

namespace zrb {

/// A Zeek event as received: the topic it came on, its name, its arguments.
struct Event {
  std::string topic;
  std::string name;
  Vector args;
};

/// A change in the set of connected Zeek peers.
struct PeerChange {
  enum class Kind { added, lost };
  Kind kind;
  /// "host:port" of the peer, as far as the transport knows it.
  std::string peer;
};

class Transport {
 public:
  virtual ~Transport() = default;

  /// Waits up to `timeout` for messages and appends at most `max` decoded
  /// events to `out`. Messages that are not Zeek events, or that cannot be
  /// decoded, are logged, counted and skipped. Returns the number appended.
  virtual size_t receive(std::vector<Event>& out, size_t max,
                         std::chrono::milliseconds timeout) = 0;

  /// Publishes a Zeek event.
  virtual void publish(const std::string& topic, const std::string& name, Vector args) = 0;

  /// Called, on the thread that calls receive(), when a peer comes or goes.
  void on_peer_change(std::function<void(const PeerChange&)> handler) {
    peer_handler_ = std::move(handler);
  }

  /// Number of peers connected now.
  virtual size_t peer_count() const = 0;

  /// A descriptor that polls readable while events wait to be received, so
  /// the daemon can wait on the transport and on Redis together.
  virtual int fd() const = 0;

 protected:
  std::function<void(const PeerChange&)> peer_handler_;
};

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
};

/// Starts the Broker transport; throws std::runtime_error with a clear
/// message if it cannot listen.
std::unique_ptr<Transport> make_broker_transport(const BrokerOptions& options);

}  // namespace zrb
