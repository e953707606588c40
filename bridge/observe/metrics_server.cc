#include "observe/metrics_server.hh"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "base/host_port.hh"
#include "observe/log.hh"
#include "observe/metrics.hh"

namespace zrb {

namespace {

using clock = std::chrono::steady_clock;

std::string response(std::string_view status, std::string_view content_type,
                     const std::string& body, bool with_body, std::string_view extra = {}) {
  std::string out = "HTTP/1.1 " + std::string(status) +
                    "\r\nContent-Type: " + std::string(content_type) +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
                    std::string(extra) + "Connection: close\r\n\r\n";
  if (with_body) out += body;
  return out;
}

std::string error_response(std::string_view status, std::string_view extra = {}) {
  return response(status, "text/plain; charset=utf-8", std::string(status) + "\n", true, extra);
}

// Waits until `fd` is ready for `events`; false when the deadline passes or
// `wake` becomes readable (the server is stopping: a client in progress
// must not hold up the bridge's exit).
bool wait_for(int fd, short events, clock::time_point deadline, int wake) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return false;
    pollfd p[2] = {{fd, events, 0}, {wake, POLLIN, 0}};
    int n = ::poll(p, 2, static_cast<int>(left.count()));
    if (n > 0) return p[1].revents == 0;
    if (n < 0 && errno != EINTR) return false;
  }
}

UniqueFd listen_on(const std::string& listen, uint16_t& bound) {
  std::string host;
  uint16_t port = 0;
  if (!split_host_port(listen, host, port))
    throw std::runtime_error("metrics.listen: '" + listen + "' is not address:port");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc =
          ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      rc != 0)
    throw std::runtime_error("metrics.listen: cannot resolve '" + host + "': " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
  std::string why = "no address";
  for (auto* ai = found; ai != nullptr; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) continue;
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), 16) != 0) {
      why = std::strerror(errno);
      continue;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    bound = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    return fd;
  }
  throw std::runtime_error("metrics.listen: cannot listen on " + listen + ": " + why);
}

}  // namespace

std::string metrics_http_response(std::string_view head,
                                  const std::function<std::string()>& render) {
  // Request line: METHOD SP TARGET SP HTTP/x.y
  auto eol = head.find_first_of("\r\n");
  auto line = head.substr(0, eol);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1).substr(0, 5) != "HTTP/")
    return error_response("400 Bad Request");
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));  // a scraper may add parameters
  if (target != "/metrics") return error_response("404 Not Found");
  if (method != "GET" && method != "HEAD")
    return error_response("405 Method Not Allowed", "Allow: GET, HEAD\r\n");
  return response("200 OK", metrics_content_type, render(), method == "GET");
}

MetricsServer::MetricsServer(MetricsServerOptions options, std::function<std::string()> render)
    : options_(std::move(options)),
      render_(std::move(render)),
      listener_(listen_on(options_.listen, port_)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_) throw std::runtime_error(std::string("metrics: eventfd: ") + std::strerror(errno));
  thread_ = std::thread([this] { run(); });
}

MetricsServer::~MetricsServer() {
  uint64_t one = 1;
  if (::write(wake_.get(), &one, sizeof one) < 0) {
    // Cannot happen for an eventfd far from overflow; the join below would
    // then wait for the next client, which the listener still accepts.
  }
  thread_.join();
}

void MetricsServer::run() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents) return;
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (client) serve(client.get());
  }
}

void MetricsServer::serve(int client) {
  auto deadline = clock::now() + options_.client_timeout;
  std::string head;
  std::string answer;
  char buf[1024];
  for (;;) {
    if (head.find("\r\n\r\n") != std::string::npos || head.find("\n\n") != std::string::npos) break;
    if (head.size() > options_.max_request_bytes) {
      answer = error_response("431 Request Header Fields Too Large");
      break;
    }
    if (!wait_for(client, POLLIN, deadline, wake_.get())) {
      answer = error_response("408 Request Timeout");
      break;
    }
    auto n = ::recv(client, buf, sizeof buf, 0);
    if (n == 0) return;  // the client gave up
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return;
    }
    head.append(buf, static_cast<size_t>(n));
  }
  if (answer.empty()) answer = metrics_http_response(head, render_);
  // The answer gets a timeout of its own: after a 408 the first one is gone.
  deadline = clock::now() + options_.client_timeout;
  size_t sent = 0;
  while (sent < answer.size() && wait_for(client, POLLOUT, deadline, wake_.get())) {
    auto n = ::send(client, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      break;
    }
    sent += static_cast<size_t>(n);
  }
  if (sent < answer.size()) log_debug("metrics: a client did not take its answer in time");
}

}  // namespace zrb
