#include "transport/broker/transport_support.hh"

#include <stdexcept>

#include "base/host_port.hh"
#include "observe/gauges.hh"
#include "observe/log.hh"
#include "observe/rejection.hh"

namespace zrb {

void host_port_option(const std::string& option, const std::string& text, std::string& host,
                      uint16_t& port) {
  if (!split_host_port(text, host, port))
    throw std::runtime_error(option + ": not host:port: " + text);
}

void reject_not_an_event(std::string_view topic, const Value& shown) {
  reject("not_an_event",
         "message on '" + std::string(topic) + "' is not a Zeek event: " + describe(shown));
}

void reject_too_deep(std::string_view topic, std::string_view name, size_t max_depth) {
  reject("too_deep", "event " + std::string(name) + " on '" + std::string(topic) +
                         "' nests values deeper than " + std::to_string(max_depth));
}

PeerTracker::PeerTracker() : gauge_(gauges().get("broker_peers_connected")) {}

void PeerTracker::added(const std::string& peer,
                        const std::function<void(const PeerChange&)>& handler) {
  ++peers_;
  gauge_ = static_cast<int64_t>(peers_);
  log_info("broker: peer added ", peer);
  if (handler) handler(PeerChange{PeerChange::Kind::added, peer});
}

void PeerTracker::lost(const std::string& peer,
                       const std::function<void(const PeerChange&)>& handler) {
  if (peers_ > 0) --peers_;
  gauge_ = static_cast<int64_t>(peers_);
  log_warning("broker: peer lost ", peer);
  if (handler) handler(PeerChange{PeerChange::Kind::lost, peer});
}

}  // namespace zrb
