#include "config_websocket.hh"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "config.hh"

using namespace zrb;

namespace {

std::pair<ConfigOutcome, std::string> parse(const std::vector<const char*>& args, Config& c) {
  std::vector<const char*> argv{"zeek-redis-bridge"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string message;
  auto outcome = parse_config(static_cast<int>(argv.size()), argv.data(), c, message);
  return {outcome, message};
}

}  // namespace

TEST_CASE("config: Broker stays the default transport") {
  Config c;
  CHECK(parse({}, c).first == ConfigOutcome::run);
  CHECK(c.transport == TransportKind::broker);
}

TEST_CASE("config: [transport] and [websocket] from the INI file") {
  const char* path = "zrb-config-ws-test.ini";
  std::ofstream(path) << "[transport]\nkind = websocket\n[websocket]\n"
                         "url = ws://127.0.0.1:8080/v1/messages/json\n"
                         "url = wss://[::1]:8443/v1/messages/json\n"
                         "topic = zeek/redis/\ntopic = other/\nretry-max-ms = 2000\n"
                         "[limits]\nmax-depth = 9\n";
  Config c;
  auto [outcome, message] = parse({"--config", path}, c);
  std::remove(path);
  REQUIRE_MESSAGE(outcome == ConfigOutcome::run, message);
  CHECK(c.transport == TransportKind::websocket);
  CHECK(c.websocket.urls.size() == 2);
  CHECK(c.websocket.topics == std::vector<std::string>{"zeek/redis/", "other/"});
  CHECK(c.websocket.retry_max == std::chrono::milliseconds(2000));
  CHECK(c.websocket.max_depth == 9);
  WebSocketUrl u;
  REQUIRE(parse_websocket_url(c.websocket.urls[1], u));
  CHECK(u.tls);
  CHECK(u.host == "::1");
  CHECK(u.port == "8443");
  CHECK(u.target == "/v1/messages/json");
}

TEST_CASE("config: invalid WebSocket settings are refused") {
  for (auto args : std::vector<std::vector<const char*>>{
           {"--transport.kind", "zmq"},
           {"--transport.kind", "websocket"},
           {"--transport.kind", "websocket", "--websocket.url", "http://127.0.0.1:80/"},
           {"--websocket.url", "ws://:80/"},
           {"--websocket.url", "ws://host:99999/"},
           {"--websocket.url", "ws://h/", "--websocket.certificate", "c.pem"},
           {"--websocket.url", "ws://h/", "--websocket.queue", "0"}}) {
    Config c;
    CHECK_MESSAGE(parse(args, c).first == ConfigOutcome::error, args[1]);
  }
}
