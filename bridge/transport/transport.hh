// The boundary between the bridge and whatever carries Zeek events.
//
// Everything past this interface sees only zrb::Value. libbroker is used
// only below this folder (transport/broker14/ for Broker 1.4), so building
// against another Broker API, or adding Zeek's WebSocket API as another
// transport, touches nothing in protocol, conversion or Redis code.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "json/value.hh"

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

}  // namespace zrb
