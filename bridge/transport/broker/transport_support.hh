// What every Broker transport shares, whatever its Broker API: options
// parsing, the Zeek event envelope's layout, turning an envelope's arguments
// into a zrb::Event (or a rejection), and keeping count of the peers.
//
// Broker-independent: broker_transport.cc (Broker 1.4) and
// broker2_transport.cc (the C++20 Broker of Zeek 6.2+) each walk their own
// Broker's values and hand the pieces to these functions, so the rules (what
// is rejected, what is logged and counted) exist once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json/value.hh"
#include "transport/transport.hh"

namespace zrb {

/// Why a Broker value could not be converted.
enum class DecodeError { none, too_deep };

/// Zeek's message envelope on Broker: [protocol version, message type,
/// [name, args, metadata...]]. Zeek 6 and 7 append metadata
/// ([[1, network timestamp]]), Zeek 8 an empty list unless network
/// timestamps are on; the transports ignore it.
namespace zeek_envelope {
/// Fields of the outer vector: version, type, body.
constexpr size_t outer_fields = 3;
constexpr size_t type_index = 1;
constexpr size_t body_index = 2;
/// Message type of an event (2-5 are logs, identifier updates, batches).
constexpr uint64_t event_type = 1;
/// Fields of an event's body at least: name, args.
constexpr size_t body_fields = 2;
}  // namespace zeek_envelope

/// Splits the "host:port" of option `option`; throws std::runtime_error
/// naming the option if malformed.
void host_port_option(const std::string& option, const std::string& text, std::string& host,
                      uint16_t& port);

/// Rejects (not_an_event) a message that is not a Zeek event; `shown` is
/// the message converted, described briefly however large it is.
void reject_not_an_event(std::string_view topic, const Value& shown);

/// Rejects (too_deep) an event whose arguments nest too deep.
void reject_too_deep(std::string_view topic, std::string_view name, size_t max_depth);

/// Appends the event `name` on `topic` to `out`, converting each of `args`
/// with `convert(arg, Value&, max_depth) -> DecodeError`. An argument nested
/// deeper than `max_depth` rejects the whole event (too_deep). Returns
/// whether the event was appended.
template <class Args, class Convert>
bool append_event(std::string_view topic, std::string_view name, const Args& args, size_t max_depth,
                  Convert&& convert, std::vector<Event>& out) {
  Event ev;
  ev.topic = topic;
  ev.name = name;
  ev.args.reserve(args.size());
  for (const auto& a : args) {
    Value v;
    if (convert(a, v, max_depth) != DecodeError::none) {
      reject_too_deep(topic, name, max_depth);
      return false;
    }
    ev.args.push_back(std::move(v));
  }
  out.push_back(std::move(ev));
  return true;
}

/// The peers of a transport: counts them (gauge broker_peers_connected),
/// logs each change and tells the transport's handler.
class PeerTracker {
 public:
  PeerTracker();
  void added(const std::string& peer, const std::function<void(const PeerChange&)>& handler);
  void lost(const std::string& peer, const std::function<void(const PeerChange&)>& handler);
  size_t count() const { return peers_; }

 private:
  size_t peers_ = 0;
  std::atomic<int64_t>& gauge_;
};

}  // namespace zrb
