#include "config.hh"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

using namespace zrb;

namespace {

struct Parsed {
  ConfigOutcome outcome;
  Config config;
  std::string message;
};

Parsed parse(const std::vector<const char*>& args) {
  std::vector<const char*> argv{"zeek-redis-bridge"};
  argv.insert(argv.end(), args.begin(), args.end());
  Parsed p;
  p.outcome = parse_config(static_cast<int>(argv.size()), argv.data(), p.config, p.message);
  return p;
}

// A config file in the test's working directory, removed at scope exit.
struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) : path("zrb-config-test.ini") {
    std::ofstream(path) << text;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("config: defaults") {
  auto p = parse({});
  REQUIRE(p.outcome == ConfigOutcome::run);
  CHECK(p.config.broker.listen == "127.0.0.1:9999");
  CHECK(p.config.broker.topic == "zeek/redis/");
  CHECK_FALSE(p.config.broker.disable_ssl);
  CHECK(p.config.writer.url.host == "127.0.0.1");
  CHECK(p.config.writer.url.port == 6379);
  CHECK(p.config.routing.default_kind == RouteKind::stream);
  CHECK(p.config.routing.key_template == "zeek:{path}");
  CHECK(p.config.timestamps == TimeFormat::epoch);
}

TEST_CASE("config: --help lists every option with its default") {
  auto p = parse({"--help"});
  REQUIRE(p.outcome == ConfigOutcome::exit);
  for (const char* opt :
       {"--broker.listen", "--broker.peer", "--broker.topic", "--redis.url", "--redis.batch-size",
        "--route.default", "--route.key", "--route", "--json.timestamps",
        "--limits.max-record-bytes", "--log.level", "--shutdown.timeout-ms"}) {
    INFO(opt);
    CHECK(p.message.find(opt) != std::string::npos);
  }
  CHECK(p.message.find("(=127.0.0.1:9999)") != std::string::npos);
  CHECK(p.message.find("(=redis://127.0.0.1:6379/0)") != std::string::npos);
}

TEST_CASE("config: the file is read and the command line wins") {
  TempFile file(
      "[broker]\nlisten = 127.0.0.1:4000\ntopic = zeek/other/\n"
      "[redis]\nurl = redis://u:secret@10.1.1.1:6380/3\nbatch-size = 64\n"
      "[route]\ndefault = list\noverride = weird=drop\noverride = notice=pubsub:alerts\n"
      "[json]\ntimestamps = iso8601\n");
  auto p = parse({"--config", file.path.c_str(), "--broker.listen", "127.0.0.1:5000"});
  REQUIRE(p.outcome == ConfigOutcome::run);
  CHECK(p.config.broker.listen == "127.0.0.1:5000");
  CHECK(p.config.broker.topic == "zeek/other/");
  CHECK(p.config.writer.url.user == "u");
  CHECK(p.config.writer.url.password == "secret");
  CHECK(p.config.writer.url.db == 3);
  CHECK(p.config.writer.batch_size == 64);
  CHECK(p.config.routing.default_kind == RouteKind::list);
  CHECK(p.config.routing.overrides ==
        std::vector<std::string>{"weird=drop", "notice=pubsub:alerts"});
  CHECK(p.config.timestamps == TimeFormat::iso8601);
}

TEST_CASE("config: invalid settings are refused with a message") {
  struct Case {
    std::vector<const char*> args;
    const char* says;
  };
  for (const auto& c : std::vector<Case>{
           {{"--broker.listen", "nowhere"}, "broker.listen"},
           {{"--broker.listen", "", "--broker.peer", "zeek:0"}, "broker.peer"},
           {{"--broker.listen", ""}, "nothing to connect to"},
           {{"--redis.url", "http://x"}, "redis.url"},
           {{"--redis.url", "rediss://x:6379"}, "redis.url"},
           {{"--redis.batch-size", "0"}, "redis.batch-size"},
           {{"--route.default", "somewhere"}, "route.default"},
           {{"--route", "dns=tape"}, "route"},
           {{"--route.key", "zeek:{paht}"}, "route"},
           {{"--json.timestamps", "iso"}, "json.timestamps"},
           {{"--log.level", "loud"}, "log.level"},
           {{"--limits.max-depth", "1"}, "limits.max-depth"},
           {{"--no-such-option"}, "no-such-option"},
           {{"--redis.batch-size", "many"}, "batch-size"},
           {{"--config", "does-not-exist.ini"}, "does-not-exist.ini"},
       }) {
    auto p = parse(c.args);
    INFO(c.says, ": ", p.message);
    CHECK(p.outcome == ConfigOutcome::error);
    CHECK(p.message.find(c.says) != std::string::npos);
  }
}

TEST_CASE("config: an unknown key in the file is refused") {
  TempFile file("[redis]\nurll = redis://127.0.0.1\n");
  auto p = parse({"--config", file.path.c_str()});
  CHECK(p.outcome == ConfigOutcome::error);
  CHECK(p.message.find("urll") != std::string::npos);
}

TEST_CASE("config: Redis operations of Zeek scripts") {
  auto p = parse({});
  REQUIRE(p.outcome == ConfigOutcome::run);
  CHECK(p.config.commands.key_prefix == "zeek:kv:");
  CHECK(p.config.commands.allowlist.allows("GET"));
  CHECK(!p.config.commands.allowlist.allows("FLUSHALL"));

  TempFile file("[commands]\nnamespace = app:\nallow = rename\ndeny = del\nmax-queued = 5\n");
  p = parse({"--config", file.path.c_str(), "--commands.max-batch", "7"});
  REQUIRE(p.outcome == ConfigOutcome::run);
  CHECK(p.config.commands.key_prefix == "app:");
  CHECK(p.config.commands.allowlist.allows("RENAME"));
  CHECK(!p.config.commands.allowlist.allows("DEL"));
  CHECK(p.config.commands.max_queued == 5);
  CHECK(p.config.commands.max_batch == 7);

  p = parse({"--commands.allow", "SELECT"});
  CHECK(p.outcome == ConfigOutcome::error);
  CHECK(p.message.find("commands.allow: 'SELECT'") != std::string::npos);
  CHECK(parse({"--commands.max-queued", "0"}).outcome == ConfigOutcome::error);
  CHECK(parse({"--commands.max-batch", "0"}).outcome == ConfigOutcome::error);
}
