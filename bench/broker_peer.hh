// The Broker 1.4 side that every benchmark peer shares: an endpoint
// configured as Zeek 3.2 configures its own (no TLS, no forwarding, no
// broker.conf, CAF's "sharing" scheduler with one thread), reaching the
// other side by listening or peering, waiting for the peering, and the
// receive loop (wait on the subscriber's descriptor, take what is there).
#pragma once

#include <poll.h>

#include <broker/broker.hh>
#include <caf/atom.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "bench_common.hh"

namespace zrb_bench {

/// `policy`: "sharing", "stealing" or "default" (leave CAF's choice);
/// `threads`: 0 leaves CAF's default.
///
/// CAF 0.17's default is the work-stealing scheduler with max(4, cores)
/// threads, whose idle workers poll and sleep in short intervals: on a small
/// machine that costs CPU the busy threads need. Zeek 3.2 runs Broker with
/// Broker::scheduler_policy = "sharing" and Broker::max_threads = 1, and so
/// does the bridge (--broker.scheduler-policy, --broker.max-threads).
inline void set_caf_scheduler(broker::configuration& config, const std::string& policy,
                              size_t threads) {
  if (policy == "sharing")
    config.set("scheduler.policy", caf::atom("sharing"));
  else if (policy == "stealing")
    config.set("scheduler.policy", caf::atom("stealing"));
  else if (policy != "default")
    throw std::invalid_argument("--caf-policy: sharing, stealing or default");
  if (threads > 0) config.set("scheduler.max-threads", threads);
}

/// A benchmark endpoint's configuration: plain TCP, no forwarding, no
/// broker.conf, and the given CAF scheduler.
inline broker::configuration peer_configuration(const std::string& caf_policy = "sharing",
                                                size_t caf_threads = 1) {
  broker::broker_options bo;
  bo.disable_ssl = true;
  bo.forward = false;
  bo.ignore_broker_conf = true;
  broker::configuration config{bo};
  set_caf_scheduler(config, caf_policy, caf_threads);
  return config;
}

/// Listens on `listen` ("host:port") if it is set, else peers with `peer`
/// (retrying every second). False, after a line on stderr, if it cannot
/// listen.
inline bool reach(broker::endpoint& ep, const std::string& listen, const std::string& peer,
                  const char* program) {
  std::string host;
  uint16_t port = 0;
  if (listen.empty()) {
    split_host_port(peer, host, port);
    ep.peer_nosync(host, port, broker::timeout::seconds(1));
    return true;
  }
  split_host_port(listen, host, port);
  auto bound = ep.listen(host, port);
  if (bound == 0) {
    std::fprintf(stderr, "%s: cannot listen on %s\n", program, listen.c_str());
    return false;
  }
  std::fprintf(stderr, "%s: listening on %s:%u\n", program, host.c_str(), bound);
  return true;
}

/// Waits for a peer_added status; false on timeout or stop signal. Errors
/// that Broker reports meanwhile go to stderr.
inline bool wait_peered(broker::status_subscriber& status, double wait_s, const char* program) {
  auto deadline = mono_seconds() + wait_s;
  while (!stop_requested && mono_seconds() < deadline) {
    auto item = status.get(std::chrono::milliseconds(100));
    if (auto st = caf::get_if<broker::status>(&item)) {
      if (st->code() == broker::sc::peer_added) return true;
    } else if (auto err = caf::get_if<broker::error>(&item)) {
      std::fprintf(stderr, "%s: broker: %s\n", program, caf::to_string(*err).c_str());
    }
  }
  return false;
}

/// Hands every message that arrives to `each` until it returns false, a
/// stop signal, or mono_seconds() reaches `until`.
template <class F>
void receive_until(broker::subscriber& sub, double until, F&& each) {
  while (!stop_requested && mono_seconds() < until) {
    if (sub.available() == 0) {
      pollfd fd{sub.fd(), POLLIN, 0};
      ::poll(&fd, 1, 20);
    }
    size_t n = sub.available();
    if (n == 0) continue;
    for (auto& msg : sub.get(n))
      if (!each(msg)) return;
  }
}

}  // namespace zrb_bench
