// The Broker side that every benchmark peer shares: an endpoint configured
// as Zeek configures its own (no TLS, no forwarding, no broker.conf, CAF's
// "sharing" scheduler with one thread), reaching the other side by listening
// or peering, waiting for the peering and the peer's subscription, and the
// receive loop (wait on the subscriber's descriptor, take what is there).
//
// Builds against Broker 1.4 (Zeek 3.2) and the C++20 Broker of Zeek 6.2+
// (Zeek 8.0.10's here): every difference between the two APIs that the
// benchmark programs meet is in the "Broker API" block below
// (docs/broker-versions.md lists them).
#pragma once

#include <poll.h>

#include <broker/broker.hh>
#if __has_include(<broker/variant.hh>)
#include <broker/visit.hh>
#else
#include <caf/atom.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "bench_common.hh"

namespace zrb_bench {

/// TLS as Zeek configures Broker's (Broker::disable_ssl, Broker::ssl_*):
/// off by default for the benchmark peers; `enabled` with no files is
/// Broker's anonymous TLS (no certificate, anonymous ciphers); with a
/// certificate, key and CA file both sides verify each other.
struct PeerTls {
  bool enabled = false;
  std::string certificate, key, passphrase, cafile;
};

/// A Zeek event as Zeek puts it on the wire, [1, 1, [name, args]], built as
/// plain data (the same in both Broker APIs), so a test peer can also send
/// envelopes that are not well formed.
inline broker::data zeek_event(const std::string& name, broker::vector args) {
  return broker::vector{broker::count{1}, broker::count{1}, broker::vector{name, std::move(args)}};
}

// --- Broker API ---
#if __has_include(<broker/variant.hh>)

/// A received value and its containers: views into the received message.
using value_t = broker::variant;
using list_t = broker::variant_list;
using set_t = broker::variant_set;
using table_t = broker::variant_table;
using enum_t = broker::enum_value_view;

template <class F>
void visit_value(F&& f, const value_t& x) {
  broker::visit(f, x);
}

template <class T>
const T* status_get_if(const broker::status_subscriber::value_type& x) {
  return std::get_if<T>(&x);
}

inline std::string error_text(const broker::error& e) {
  return broker::to_string(e);
}

inline void disable_forwarding(broker::broker_options& bo) {
  bo.disable_forwarding = true;
}

/// What Zeek 8's broker::Manager does with Broker::ssl_*: setters here.
inline void set_openssl(broker::configuration& config, const PeerTls& tls) {
  config.openssl_certificate(tls.certificate);
  config.openssl_key(tls.key);
  config.openssl_passphrase(tls.passphrase);
  config.openssl_cafile(tls.cafile);
}

/// This Broker has no backpressure from a peer: what a slower receiver has
/// not taken waits in the sender's buffer for that peer (default 2048
/// messages; Zeek 8 sets 8192, Broker::peer_buffer_size), and past it the
/// overflow policy applies (Zeek: drop_oldest). A publisher measuring the
/// receiver's rate sizes the buffer to hold the whole run and disconnects
/// on overflow, so a run either delivers everything or fails visibly.
/// Broker 1.4 queues at the sender's core without a bound and needs nothing.
inline void hold_whole_run(broker::broker_options& bo, size_t messages) {
  bo.peer_buffer_size = messages;
  bo.peer_overflow_policy = broker::overflow_policy::disconnect;
}

inline void set_scheduler(broker::configuration& config, const std::string& policy,
                          size_t threads) {
  if (!policy.empty()) config.set("caf.scheduler.policy", policy);
  if (threads > 0) config.set("caf.scheduler.max-threads", uint64_t{threads});
}

/// Calls f(name, args) if `msg` is a Zeek event; false otherwise.
template <class F>
bool with_event(const broker::data_message& msg, F&& f) {
  broker::zeek::Event ev(msg);
  if (ev.type() != broker::zeek::Message::Type::Event || !ev.valid()) return false;
  f(ev.name(), ev.args());
  return true;
}

inline std::optional<size_t> list_size(const value_t& x) {
  if (!x.is_list()) return std::nullopt;
  return x.to_list().size();
}

/// True once a peer subscribed to a prefix of `topic` (`peer_added`: what
/// wait_peered returned): from then on what we publish reaches it.
/// peer_subscriptions() fails in this Broker ("unexpected message");
/// await_peer waits until the peer's subscriptions reached this endpoint.
inline bool wait_subscribed(broker::endpoint& ep, const broker::status& peer_added,
                            const std::string&, double wait_s) {
  auto info = peer_added.context();
  return info && ep.await_peer(info->node, std::chrono::duration_cast<broker::timespan>(
                                               std::chrono::duration<double>(wait_s)));
}
#else

using value_t = broker::data;
using list_t = broker::vector;
using set_t = broker::set;
using table_t = broker::table;
using enum_t = broker::enum_value;

template <class F>
void visit_value(F&& f, const value_t& x) {
  caf::visit(f, x);
}

template <class T>
const T* status_get_if(const broker::status_subscriber::value_type& x) {
  return caf::get_if<T>(&x);
}

inline std::string error_text(const broker::error& e) {
  return caf::to_string(e);
}

inline void disable_forwarding(broker::broker_options& bo) {
  bo.forward = false;
}

/// What Zeek 3.2 does with Broker::ssl_*: public members here (CAF's
/// OpenSSL module reads them).
inline void set_openssl(broker::configuration& config, const PeerTls& tls) {
  config.openssl_certificate = tls.certificate;
  config.openssl_key = tls.key;
  config.openssl_passphrase = tls.passphrase;
  config.openssl_cafile = tls.cafile;
}

inline void hold_whole_run(broker::broker_options&, size_t) {}

inline void set_scheduler(broker::configuration& config, const std::string& policy,
                          size_t threads) {
  if (!policy.empty()) config.set("scheduler.policy", caf::atom_from_string(policy));
  if (threads > 0) config.set("scheduler.max-threads", threads);
}

// [version, type 1, [name, [args...], ...]] read in place: constructing a
// broker::zeek::Event would copy the whole message first.
template <class F>
bool with_event(const broker::data_message& msg, F&& f) {
  const auto& d = broker::get_data(msg);
  auto outer = caf::get_if<broker::vector>(&d);
  if (!outer || outer->size() < 3 || broker::zeek::Message::type(d) != broker::zeek::Message::Event)
    return false;
  auto body = caf::get_if<broker::vector>(&(*outer)[2]);
  auto name = body && body->size() >= 2 ? caf::get_if<std::string>(&(*body)[0]) : nullptr;
  auto args = body && body->size() >= 2 ? caf::get_if<broker::vector>(&(*body)[1]) : nullptr;
  if (!name || !args) return false;
  f(std::string_view{*name}, *args);
  return true;
}

inline std::optional<size_t> list_size(const value_t& x) {
  auto v = caf::get_if<broker::vector>(&x);
  if (!v) return std::nullopt;
  return v->size();
}

/// True once a peer subscribed to a prefix of `topic`.
inline bool wait_subscribed(broker::endpoint& ep, const broker::status&, const std::string& topic,
                            double wait_s) {
  auto deadline = mono_seconds() + wait_s;
  while (!stop_requested && mono_seconds() < deadline) {
    for (const auto& t : ep.peer_subscriptions())
      if (topic.compare(0, t.string().size(), t.string()) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}
#endif
// --- end of Broker API ---

/// `policy`: "sharing", "stealing" or "default" (leave CAF's choice);
/// `threads`: 0 leaves CAF's default.
///
/// CAF's default is the work-stealing scheduler with max(4, cores) threads,
/// whose idle workers poll and sleep in short intervals: on a small machine
/// that costs CPU the busy threads need. Zeek runs Broker with
/// Broker::scheduler_policy = "sharing" and Broker::max_threads = 1, and so
/// does the bridge (--broker.scheduler-policy, --broker.max-threads).
inline void set_caf_scheduler(broker::configuration& config, const std::string& policy,
                              size_t threads) {
  if (policy != "sharing" && policy != "stealing" && policy != "default")
    throw std::invalid_argument("--caf-policy: sharing, stealing or default");
  set_scheduler(config, policy == "default" ? std::string() : policy, threads);
}

/// A benchmark endpoint's configuration: plain TCP unless `tls` says
/// otherwise, no forwarding, no broker.conf, and the given CAF scheduler; a
/// publisher names how many messages it will send (`run_messages`,
/// hold_whole_run).
inline broker::configuration peer_configuration(const std::string& caf_policy = "sharing",
                                                size_t caf_threads = 1, size_t run_messages = 0,
                                                const PeerTls& tls = {}) {
  broker::broker_options bo;
  if (run_messages > 0) hold_whole_run(bo, run_messages);
  bo.disable_ssl = !tls.enabled;
  bo.ignore_broker_conf = true;
  disable_forwarding(bo);
  broker::configuration config{bo};
  if (tls.enabled) set_openssl(config, tls);
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

/// Waits for a peer_added status (returned); nullopt on timeout or stop
/// signal. Errors that Broker reports meanwhile go to stderr.
inline std::optional<broker::status> wait_peered(broker::status_subscriber& status, double wait_s,
                                                 const char* program) {
  auto deadline = mono_seconds() + wait_s;
  while (!stop_requested && mono_seconds() < deadline) {
    auto item = status.get(std::chrono::milliseconds(100));
    if (auto st = status_get_if<broker::status>(item)) {
      if (st->code() == broker::sc::peer_added) return *st;
    } else if (auto err = status_get_if<broker::error>(item)) {
      std::fprintf(stderr, "%s: broker: %s\n", program, error_text(*err).c_str());
    }
  }
  return std::nullopt;
}

/// Waits up to 100 ms for a status; true if it says the peer went away.
inline bool peer_gone(broker::status_subscriber& status) {
  auto item = status.get(std::chrono::milliseconds(100));
  auto st = status_get_if<broker::status>(item);
  return st && (st->code() == broker::sc::peer_lost || st->code() == broker::sc::peer_removed);
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
