// The WebSocket transport: one client connection per configured Zeek
// WebSocket endpoint, all driven by one I/O thread (Boost.Asio/Beast).
//
// Each connection resolves, connects, (TLS-)handshakes, upgrades to a
// WebSocket, sends the subscription list and waits for Zeek's ack; from
// then on it is a peer (PeerChange added) and reads messages in a loop,
// decoding them on the I/O thread, so the daemon's thread only moves
// finished events. Any failure ends the connection (PeerChange lost if it
// was a peer) and a new attempt follows after an exponential backoff.
//
// The I/O thread hands events and peer changes to the daemon through one
// bounded queue whose eventfd is the transport's fd(); peer changes travel
// in the same queue so that they keep their order with the events. When the
// queue is full the I/O thread waits: Zeek's side of the socket fills and
// Zeek sees the backpressure (it drops for a slow client past its
// max_event_queue_size). Publications are encoded on the caller's thread
// and written by the I/O thread to every connected peer; while no peer is
// connected they are dropped, as Broker drops what no peer subscribes to.

#include <poll.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <atomic>
#include <deque>
#include <optional>
#include <stdexcept>
#include <thread>
#include <variant>

#include "base/backoff.hh"
#include "base/event_queue.hh"
#include "observe/counters.hh"
#include "observe/gauges.hh"
#include "observe/log.hh"
#include "observe/rejection.hh"
#include "transport/websocket.hh"
#include "transport/websocket/binary_frames.hh"
#include "transport/websocket/ws_json.hh"

namespace zrb {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

bool parse_websocket_url(const std::string& url, WebSocketUrl& out) {
  WebSocketUrl u;
  std::string rest;
  if (url.rfind("ws://", 0) == 0) {
    rest = url.substr(5);
  } else if (url.rfind("wss://", 0) == 0) {
    u.tls = true;
    rest = url.substr(6);
  } else {
    return false;
  }
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/v1/messages/json" : rest.substr(slash);
  if (authority.empty()) return false;
  if (authority[0] == '[') {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string::npos) return false;
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return false;
      u.port = authority.substr(close + 2);
    }
  } else {
    auto colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  if (u.host.empty() || u.port.find_first_not_of("0123456789") != std::string::npos ||
      u.port.size() > 5 || std::stoul(u.port) == 0 || std::stoul(u.port) > 65535)
    return false;
  out = std::move(u);
  return true;
}

namespace {

using Item = std::variant<Event, PeerChange>;

// What the connections share: the options, the queue to the daemon, the
// TLS context, counters.
struct Shared {
  WebSocketOptions options;
  EventQueue<Item> inbox;
  ssl::context tls{ssl::context::tls_client};
  std::atomic<size_t> peers{0};
  std::atomic<uint64_t>& received = counters().get("websocket_messages_received");
  std::atomic<uint64_t>& dropped = counters().get("websocket_publish_dropped");
  std::atomic<int64_t>& peers_gauge = gauges().get("websocket_peers_connected");

  explicit Shared(const WebSocketOptions& o) : options(o), inbox(o.queue_size) {}
};

// Messages queued for writing to one connection, bounded: a Zeek that stops
// reading must not grow the bridge without limit.
constexpr size_t max_pending_writes = 65536;

// One endpoint: its URL, its backoff, and the connection of the moment.
// Everything runs on the I/O thread.
class Endpoint : public std::enable_shared_from_this<Endpoint> {
 public:
  Endpoint(asio::io_context& ioc, Shared& shared, std::string url, WebSocketUrl parts)
      : ioc_(ioc),
        shared_(shared),
        url_(std::move(url)),
        parts_(std::move(parts)),
        resolver_(ioc),
        timer_(ioc),
        backoff_(shared.options.retry_initial, shared.options.retry_max) {}

  void start() { attempt(); }

  void send(const std::shared_ptr<const std::string>& msg) {
    if (!peer_) {
      ++shared_.dropped;
      return;
    }
    if (pending_.size() >= max_pending_writes) {
      ++shared_.dropped;
      return;
    }
    pending_.push_back(msg);
    if (pending_.size() == 1) write_next();
  }

  void stop() {
    stopped_ = true;
    timer_.cancel();
    resolver_.cancel();
    if (plain_) beast::get_lowest_layer(*plain_).cancel();
    if (secure_) beast::get_lowest_layer(*secure_).cancel();
  }

 private:
  // Zeek's text frames are read as binary (binary_frames.hh: a string
  // that is not UTF-8 would make Beast drop the connection).
  using Plain = websocket::stream<ws::BinaryFrames<beast::tcp_stream>>;
  using Secure = websocket::stream<ws::BinaryFrames<beast::ssl_stream<beast::tcp_stream>>>;

  // Runs `f` on whichever stream this attempt uses.
  template <class F>
  void with_stream(F&& f) {
    if (secure_)
      f(*secure_);
    else
      f(*plain_);
  }

  void attempt() {
    if (stopped_) return;
    ++generation_;
    pending_.clear();
    plain_.reset();
    secure_.reset();
    if (parts_.tls)
      secure_.emplace(ioc_, shared_.tls);
    else
      plain_.emplace(ioc_);
    resolver_.async_resolve(parts_.host, parts_.port,
                            [self = shared_from_this(), gen = generation_](
                                beast::error_code ec, tcp::resolver::results_type results) {
                              if (self->stale(gen)) return;
                              if (ec) return self->failed("resolve", ec);
                              self->with_stream([&](auto& ws) { self->connect(ws, gen, results); });
                            });
  }

  bool stale(uint64_t gen) const { return stopped_ || gen != generation_; }

  template <class WS>
  void connect(WS& ws, uint64_t gen, const tcp::resolver::results_type& results) {
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(ws).async_connect(
        results, [self = shared_from_this(), gen, &ws](beast::error_code ec, const tcp::endpoint&) {
          if (self->stale(gen)) return;
          if (ec) return self->failed("connect", ec);
          self->secure_handshake(ws, gen);
        });
  }

  void secure_handshake(Plain& ws, uint64_t gen) { upgrade(ws, gen); }
  void secure_handshake(Secure& ws, uint64_t gen) {
    auto& tls = ws.next_layer().next_layer();
    if (!SSL_set_tlsext_host_name(tls.native_handle(), parts_.host.c_str()))
      return failed("tls", beast::error_code(static_cast<int>(::ERR_get_error()),
                                             asio::error::get_ssl_category()));
    if (shared_.options.verify_peer)
      tls.set_verify_callback(ssl::host_name_verification(parts_.host));
    tls.async_handshake(ssl::stream_base::client,
                        [self = shared_from_this(), gen, &ws](beast::error_code ec) {
                          if (self->stale(gen)) return;
                          if (ec) return self->failed("tls handshake", ec);
                          self->upgrade(ws, gen);
                        });
  }

  template <class WS>
  void upgrade(WS& ws, uint64_t gen) {
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    // Beast pings after half of the idle timeout without traffic and fails
    // the read if nothing at all arrives for the whole of it.
    t.idle_timeout = shared_.options.idle_timeout;
    t.keep_alive_pings = true;
    ws.set_option(t);
    ws.read_message_max(shared_.options.max_message_bytes);
    ws.auto_fragment(false);
    ws.async_handshake(parts_.host + ":" + parts_.port, parts_.target,
                       [self = shared_from_this(), gen, &ws](beast::error_code ec) {
                         if (self->stale(gen)) return;
                         if (ec) return self->failed("websocket handshake", ec);
                         self->subscribe(ws, gen);
                       });
  }

  template <class WS>
  void subscribe(WS& ws, uint64_t gen) {
    ws.next_layer().start_frames();
    ws.text(true);
    auto msg = std::make_shared<std::string>(ws::encode_subscription(shared_.options.topics));
    ws.async_write(asio::buffer(*msg),
                   [self = shared_from_this(), gen, &ws, msg](beast::error_code ec, size_t) {
                     if (self->stale(gen)) return;
                     if (ec) return self->failed("subscribe", ec);
                     self->read(ws, gen);
                   });
  }

  template <class WS>
  void read(WS& ws, uint64_t gen) {
    buffer_.clear();
    ws.async_read(buffer_, [self = shared_from_this(), gen, &ws](beast::error_code ec, size_t) {
      if (self->stale(gen)) return;
      if (ec) return self->failed("read", ec);
      if (!self->handle()) return;
      self->read(ws, gen);
    });
  }

  // One complete message. False: stop (the transport is shutting down).
  // Text and binary alike: every frame arrives as binary (BinaryFrames).
  bool handle() {
    ++shared_.received;
    auto data = buffer_.cdata();
    std::string_view json(static_cast<const char*>(data.data()), data.size());
    auto msg = ws::decode_message(json, shared_.options.max_depth);
    switch (msg.kind) {
      case ws::MessageKind::event:
        if (!peer_) {
          reject("ws_bad_json", "an event from " + url_ + " before its ack");
          return true;
        }
        return shared_.inbox.push(std::move(msg.event));
      case ws::MessageKind::ack:
        if (peer_) {
          log_debug("websocket: ", url_, ": another ack: ", msg.text);
          return true;
        }
        peer_ = true;
        warned_ = false;
        backoff_.reset();
        shared_.peers_gauge = static_cast<int64_t>(++shared_.peers);
        log_info("websocket: connected to ", url_, " (", msg.text, ")");
        return shared_.inbox.push(PeerChange{PeerChange::Kind::added, url_});
      case ws::MessageKind::error:
        reject("ws_error", "Zeek at " + url_ + " reports " + msg.text);
        return true;
      case ws::MessageKind::invalid:
        reject(msg.reason, msg.text + " (from " + url_ + ")");
        return true;
    }
    return true;
  }

  void write_next() {
    with_stream([&](auto& ws) {
      ws.async_write(asio::buffer(*pending_.front()),
                     [self = shared_from_this(), gen = generation_](beast::error_code ec, size_t) {
                       if (self->stale(gen)) return;
                       if (ec) return self->failed("write", ec);
                       self->pending_.pop_front();
                       if (!self->pending_.empty()) self->write_next();
                     });
    });
  }

  void failed(const char* what, beast::error_code ec) {
    if (ec == websocket::error::message_too_big)
      reject("ws_too_large", "a message from " + url_ + " over " +
                                 std::to_string(shared_.options.max_message_bytes) +
                                 " bytes; reconnecting");
    else if (ec == beast::error::timeout && peer_)
      reject("ws_timeout", url_ + " stopped answering (no message or pong for " +
                               std::to_string(shared_.options.idle_timeout.count()) +
                               " s); reconnecting");
    ++generation_;  // every handler of this attempt is stale from now on
    if (peer_) {
      peer_ = false;
      shared_.peers_gauge = static_cast<int64_t>(--shared_.peers);
      log_warning("websocket: lost ", url_, " (", what, ": ", ec.message(), ")");
      if (!shared_.inbox.push(PeerChange{PeerChange::Kind::lost, url_})) return;
    } else {
      log_debug("websocket: ", url_, ": ", what, ": ", ec.message());
    }
    if (plain_) beast::get_lowest_layer(*plain_).close();
    if (secure_) beast::get_lowest_layer(*secure_).close();
    auto delay = backoff_.next();
    if (!warned_)
      log_warning("websocket: cannot reach ", url_, " (", what, ": ", ec.message(),
                  "); retrying up to every ", shared_.options.retry_max.count(), " ms");
    warned_ = true;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e) self->attempt();
    });
  }

  asio::io_context& ioc_;
  Shared& shared_;
  const std::string url_;
  const WebSocketUrl parts_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  Backoff backoff_;
  std::optional<Plain> plain_;
  std::optional<Secure> secure_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> pending_;
  uint64_t generation_ = 0;
  bool peer_ = false;
  bool stopped_ = false;
  bool warned_ = false;
};

class WebSocketTransport final : public Transport {
 public:
  explicit WebSocketTransport(const WebSocketOptions& opts)
      : shared_(opts), work_(asio::make_work_guard(ioc_)) {
    configure_tls(opts);
    for (const auto& url : opts.urls) {
      WebSocketUrl parts;
      if (!parse_websocket_url(url, parts))
        throw std::runtime_error("websocket.url: not ws[s]://host[:port][/path]: " + url);
      endpoints_.push_back(std::make_shared<Endpoint>(ioc_, shared_, url, parts));
      log_info("websocket: connecting to ", url, ", topic prefixes ",
               ws::encode_subscription(opts.topics));
    }
    for (auto& e : endpoints_) asio::post(ioc_, [e] { e->start(); });
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~WebSocketTransport() override {
    shared_.inbox.close();
    asio::post(ioc_, [this] {
      for (auto& e : endpoints_) e->stop();
      work_.reset();
    });
    // Bounded: handlers see the stop at once; the io_context stops anyway.
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

  size_t receive(std::vector<Event>& out, size_t max, std::chrono::milliseconds timeout) override {
    items_.clear();
    if (shared_.inbox.poll(items_, max) == 0 && timeout.count() > 0) {
      pollfd p{shared_.inbox.fd(), POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(timeout.count()));
      shared_.inbox.poll(items_, max);
    }
    size_t appended = 0;
    for (auto& item : items_) {
      if (auto* ev = std::get_if<Event>(&item)) {
        out.push_back(std::move(*ev));
        ++appended;
      } else if (peer_handler_) {
        peer_handler_(std::get<PeerChange>(item));
      }
    }
    return appended;
  }

  void publish(const std::string& topic, const std::string& name, Vector args) override {
    auto msg = std::make_shared<const std::string>(ws::encode_event(topic, name, args));
    asio::post(ioc_, [this, msg] {
      for (auto& e : endpoints_) e->send(msg);
    });
  }

  size_t peer_count() const override { return shared_.peers; }

  int fd() const override { return shared_.inbox.fd(); }

 private:
  void configure_tls(const WebSocketOptions& o) {
    auto& ctx = shared_.tls;
    beast::error_code ec;
    auto check = [&](const char* what, const std::string& file) {
      if (ec)
        throw std::runtime_error("websocket: " + std::string(what) + " '" + file +
                                 "': " + ec.message());
    };
    if (!o.ca_file.empty()) ctx.load_verify_file(o.ca_file, ec), check("CA file", o.ca_file);
    if (!o.ca_path.empty()) ctx.add_verify_path(o.ca_path, ec), check("CA path", o.ca_path);
    if (o.ca_file.empty() && o.ca_path.empty()) ctx.set_default_verify_paths(ec);
    if (!o.certificate.empty()) {
      ctx.use_certificate_chain_file(o.certificate, ec);
      check("certificate", o.certificate);
      ctx.use_private_key_file(o.key, ssl::context::pem, ec);
      check("key", o.key);
    }
    ctx.set_verify_mode(o.verify_peer ? ssl::verify_peer : ssl::verify_none);
  }

  Shared shared_;
  asio::io_context ioc_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::shared_ptr<Endpoint>> endpoints_;
  std::thread thread_;
  std::vector<Item> items_;
};

}  // namespace

std::unique_ptr<Transport> make_websocket_transport(const WebSocketOptions& options) {
  return std::make_unique<WebSocketTransport>(options);
}

}  // namespace zrb
