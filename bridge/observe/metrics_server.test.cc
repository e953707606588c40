#include "observe/metrics_server.hh"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using namespace zrb;

namespace {

std::string page() {
  return "zrb_x_total 1\n";
}

UniqueFd connect_to(uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// One request over a real socket; returns everything the server sent.
std::string exchange(uint16_t port, const std::string& request) {
  auto fd = connect_to(port);
  if (!request.empty())
    REQUIRE(::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0;) out.append(buf, n);
  return out;
}

}  // namespace

TEST_CASE("metrics http: GET and HEAD /metrics, 404, 405, 400") {
  auto get = metrics_http_response("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", page);
  CHECK(get.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(get.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  CHECK(get.find("Content-Length: 14\r\n") != std::string::npos);
  CHECK(get.substr(get.size() - 14) == page());
  auto head = metrics_http_response("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n", page);
  CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(head.substr(head.size() - 4) == "\r\n\r\n");
  CHECK(metrics_http_response("GET / HTTP/1.1\r\n\r\n", page).rfind("HTTP/1.1 404", 0) == 0);
  auto post = metrics_http_response("POST /metrics HTTP/1.1\r\n\r\n", page);
  CHECK(post.rfind("HTTP/1.1 405", 0) == 0);
  CHECK(post.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(metrics_http_response("garbage\r\n\r\n", page).rfind("HTTP/1.1 400", 0) == 0);
  CHECK(metrics_http_response("GET /metrics FTP/1\r\n\r\n", page).rfind("HTTP/1.1 400", 0) == 0);
}

TEST_CASE("metrics http: a real socket; a silent client times out; a huge request is refused") {
  MetricsServerOptions o;
  o.listen = "127.0.0.1:0";
  o.client_timeout = std::chrono::milliseconds(300);
  o.max_request_bytes = 1024;
  MetricsServer server(o, page);
  REQUIRE(server.port() != 0);
  auto ok = exchange(server.port(), "GET /metrics HTTP/1.1\r\n\r\n");
  CHECK(ok.rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK(ok.find("zrb_x_total 1\n") != std::string::npos);
  auto start = std::chrono::steady_clock::now();
  CHECK(exchange(server.port(), "").rfind("HTTP/1.1 408", 0) == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(exchange(server.port(), "GET /metrics HTTP/1.1\r\nX: " + std::string(4000, 'a'))
            .rfind("HTTP/1.1 431", 0) == 0);
  // Still serving.
  CHECK(exchange(server.port(), "GET /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("metrics http: stopping does not wait for a silent client") {
  MetricsServerOptions o;
  o.listen = "127.0.0.1:0";
  o.client_timeout = std::chrono::seconds(30);
  auto server = std::make_unique<MetricsServer>(o, page);
  auto fd = connect_to(server->port());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // accepted, now waiting
  auto start = std::chrono::steady_clock::now();
  server.reset();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("metrics http: an address that cannot be listened on is a clear error") {
  MetricsServerOptions o;
  o.listen = "not an address";
  CHECK_THROWS_WITH_AS(MetricsServer(o, page), doctest::Contains("metrics.listen"),
                       std::runtime_error);
  o.listen = "192.0.2.1:9911";  // TEST-NET: not an address of this machine
  CHECK_THROWS_WITH_AS(MetricsServer(o, page), doctest::Contains("cannot listen"),
                       std::runtime_error);
}
