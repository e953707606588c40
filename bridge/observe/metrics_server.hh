// The /metrics endpoint: a minimal HTTP/1.1 server on a thread of its own.
//
// One client at a time, one request per connection: it reads the request
// head (at most max_request_bytes, within client_timeout), answers GET or
// HEAD /metrics with the page, anything else with 404/405/400/408/431, and
// closes. A client that connects and never sends costs one client_timeout
// of this thread, never the bridge's main loop. Nothing here takes input
// beyond the request line, so there is nothing to configure or inject.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "base/unique_fd.hh"

namespace zrb {

struct MetricsServerOptions {
  /// "address:port"; port 0 picks a free one (see port()).
  std::string listen = "127.0.0.1:9911";
  /// Longest a client may take to send its request and read the answer.
  std::chrono::milliseconds client_timeout{2000};
  /// Largest request head accepted (a scrape sends a few hundred bytes).
  size_t max_request_bytes = 8192;
};

class MetricsServer {
 public:
  /// Listens and starts the thread; throws std::runtime_error with a clear
  /// message if the address is bad or taken. `render` is called on the
  /// server's thread for every scrape.
  MetricsServer(MetricsServerOptions options, std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// The port listened on.
  uint16_t port() const { return port_; }

 private:
  void run();
  void serve(int client);

  MetricsServerOptions options_;
  std::function<std::string()> render_;
  uint16_t port_ = 0;  // before listener_: set while listener_ is initialized
  UniqueFd listener_;
  UniqueFd wake_;  // eventfd: readable when the destructor wants the thread to stop
  std::thread thread_;
};

/// The answer to one request head (status line, headers, body), as the
/// server sends it. Exposed for the unit tests.
std::string metrics_http_response(std::string_view request_head,
                                  const std::function<std::string()>& render);

}  // namespace zrb
