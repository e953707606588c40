#include "redis/route.hh"

#include <doctest/doctest.h>

namespace zrb {

namespace {

Router make_ok(const RoutingConfig& config) {
  std::string error;
  auto router = Router::make(config, &error);
  INFO("error: ", error);
  REQUIRE(router.has_value());
  return std::move(*router);
}

std::string make_error(const RoutingConfig& config) {
  std::string error;
  auto router = Router::make(config, &error);
  REQUIRE_FALSE(router.has_value());
  REQUIRE_FALSE(error.empty());
  return error;
}

RoutingConfig with_overrides(std::vector<std::string> overrides) {
  RoutingConfig config;
  config.overrides = std::move(overrides);
  return config;
}

}  // namespace

TEST_CASE("route kinds parse and print") {
  for (RouteKind kind : {RouteKind::stream, RouteKind::list, RouteKind::pubsub, RouteKind::drop}) {
    RouteKind parsed = kind == RouteKind::drop ? RouteKind::stream : RouteKind::drop;
    CHECK(parse_route_kind(route_kind_name(kind), parsed));
    CHECK(parsed == kind);
  }
  RouteKind out = RouteKind::list;
  CHECK_FALSE(parse_route_kind("streams", out));
  CHECK_FALSE(parse_route_kind("", out));
  CHECK_FALSE(parse_route_kind("Stream", out));
  CHECK(out == RouteKind::list);
}

TEST_CASE("Router: default is a trimmed stream at zeek:{path}") {
  Router router = make_ok(RoutingConfig{});
  const Route& conn = router.route("conn");
  CHECK(conn.kind == RouteKind::stream);
  CHECK(conn.path == "conn");
  CHECK(conn.key == "zeek:conn");
  CHECK(conn.stream_field == "json");
  CHECK(conn.stream_maxlen == "1000000");
  CHECK(conn.commands_per_record() == 1);
}

TEST_CASE("Router: key templates, field and maxlen") {
  RoutingConfig config;
  config.key_template = "{path}:log:{path}";
  config.stream_field = "line";
  config.stream_maxlen = 0;
  Router router = make_ok(config);
  const Route& dns = router.route("dns");
  CHECK(dns.key == "dns:log:dns");
  CHECK(dns.stream_field == "line");
  CHECK(dns.stream_maxlen.empty());

  config.key_template = "zeek:all";  // no placeholder: every path to one key
  Router one = make_ok(config);
  CHECK(one.route("conn").key == "zeek:all");
  CHECK(one.route("dns").key == "zeek:all");
}

TEST_CASE("Router: lists, with and without a cap") {
  RoutingConfig config;
  config.default_kind = RouteKind::list;
  Router uncapped = make_ok(config);
  const Route& plain = uncapped.route("conn");
  CHECK(plain.kind == RouteKind::list);
  CHECK(plain.list_left);
  CHECK(plain.trim_start.empty());
  CHECK(plain.commands_per_record() == 1);

  config.list_max = 100;
  Router left = make_ok(config);
  const Route& newest_first = left.route("conn");
  CHECK(newest_first.trim_start == "0");
  CHECK(newest_first.trim_stop == "99");
  CHECK(newest_first.commands_per_record() == 2);

  config.list_left = false;
  Router right = make_ok(config);
  const Route& newest_last = right.route("conn");
  CHECK_FALSE(newest_last.list_left);
  CHECK(newest_last.trim_start == "-100");
  CHECK(newest_last.trim_stop == "-1");
}

TEST_CASE("Router: include and exclude") {
  RoutingConfig config;
  config.include = {"conn", "dns", "http"};
  config.exclude = {"http", "weird"};
  Router router = make_ok(config);
  CHECK(router.route("conn").kind == RouteKind::stream);
  CHECK(router.route("dns").kind == RouteKind::stream);
  CHECK(router.route("http").kind == RouteKind::drop);  // exclude wins
  CHECK(router.route("ssl").kind == RouteKind::drop);   // not included
  CHECK(router.route("weird").kind == RouteKind::drop);
  CHECK(router.route("ssl").key.empty());
  CHECK(router.route("ssl").commands_per_record() == 0);

  RoutingConfig only_exclude;
  only_exclude.exclude = {"weird"};
  Router all_but = make_ok(only_exclude);
  CHECK(all_but.route("anything").kind == RouteKind::stream);
  CHECK(all_but.route("weird").kind == RouteKind::drop);
}

TEST_CASE("Router: per-path overrides") {
  RoutingConfig config =
      with_overrides({"dns=list:zeek:dns:list", "weird=drop", "notice=pubsub:zeek:notices",
                      "http=list", "files=stream:files-{path}"});
  config.exclude = {"ssl"};
  Router router = make_ok(config);

  const Route& dns = router.route("dns");
  CHECK(dns.kind == RouteKind::list);
  CHECK(dns.key == "zeek:dns:list");
  CHECK(router.route("weird").kind == RouteKind::drop);
  const Route& notice = router.route("notice");
  CHECK(notice.kind == RouteKind::pubsub);
  CHECK(notice.key == "zeek:notices");
  const Route& http = router.route("http");  // kind only: the default template
  CHECK(http.kind == RouteKind::list);
  CHECK(http.key == "zeek:http");
  CHECK(router.route("files").key == "files-files");
  CHECK(router.route("conn").kind == RouteKind::stream);
}

TEST_CASE("Router: exclude wins over an override") {
  RoutingConfig config = with_overrides({"dns=list"});
  config.exclude = {"dns"};
  Router router = make_ok(config);
  CHECK(router.route("dns").kind == RouteKind::drop);
}

TEST_CASE("Router: bad configurations are refused with a clear message") {
  auto error_of = [](std::vector<std::string> overrides) {
    return make_error(with_overrides(std::move(overrides)));
  };
  CHECK(error_of({"dns"}).find("expected PATH=KIND[:KEY_TEMPLATE]") != std::string::npos);
  CHECK(error_of({"=list"}).find("expected PATH=KIND") != std::string::npos);
  CHECK(error_of({"dns=queue"}).find("unknown kind 'queue'") != std::string::npos);
  CHECK(error_of({"dns="}).find("unknown kind ''") != std::string::npos);
  CHECK(error_of({"weird=drop:zeek:weird"}).find("drop takes no key") != std::string::npos);
  CHECK(error_of({"dns=list:"}).find("empty key template") != std::string::npos);
  CHECK(error_of({"dns=list:zeek:{paht}"}).find("unknown placeholder") != std::string::npos);
  CHECK(error_of({"dns=list", "dns=stream"}).find("a second override for path 'dns'") !=
        std::string::npos);
  CHECK(error_of({"dns=queue"}).find("route override 'dns=queue'") != std::string::npos);

  RoutingConfig config;
  config.key_template = "";
  CHECK(make_error(config).find("empty key template") != std::string::npos);
  config.key_template = "zeek:{node}:{path}";
  CHECK(make_error(config).find("unknown placeholder") != std::string::npos);
  config.key_template = "zeek:path}";
  CHECK(make_error(config).find("unmatched '}'") != std::string::npos);

  config = RoutingConfig{};
  config.stream_field = "";
  CHECK(make_error(config).find("stream field") != std::string::npos);

  config = RoutingConfig{};
  config.list_max = uint64_t(1) << 63;
  CHECK(make_error(config).find("at most") != std::string::npos);

  config = RoutingConfig{};
  config.include = {"conn", ""};
  CHECK(make_error(config).find("include: empty path") != std::string::npos);

  CHECK_FALSE(Router::make(with_overrides({"x"}), nullptr).has_value());
}

TEST_CASE("Router: routes are cached and their references stay valid") {
  Router router = make_ok(RoutingConfig{});
  const Route* conn = &router.route("conn");
  CHECK(&router.route("conn") == conn);
  // Enough paths to rehash the cache many times over.
  for (int i = 0; i < 5000; ++i) router.route("path" + std::to_string(i));
  CHECK(&router.route("conn") == conn);
  CHECK(conn->key == "zeek:conn");
  CHECK(router.route("path4321").key == "zeek:path4321");

  // Moving the router keeps them too.
  Router moved = std::move(router);
  CHECK(&moved.route("conn") == conn);
  CHECK(&moved.route("path17") != conn);
  CHECK(&moved.route("conn") == conn);
}

TEST_CASE("Router: paths are bytes") {
  Router router = make_ok(RoutingConfig{});
  std::string odd("a b\0c\r\n", 7);
  const Route& route = router.route(odd);
  CHECK(route.path == odd);
  CHECK(route.key == "zeek:" + odd);
  CHECK(&router.route("a b") != &route);  // not confused by the NUL byte
}

}  // namespace zrb
