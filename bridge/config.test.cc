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

TEST_CASE("config: buffer limits, overflow policy and spool") {
  auto d = parse({});
  REQUIRE(d.outcome == ConfigOutcome::run);
  CHECK(d.config.writer.overflow == OverflowPolicy::block);
  CHECK(d.config.writer.spool.dir.empty());  // off by default
  CHECK(d.config.writer.max_buffered_records == 100000);

  TempFile file(
      "[buffer]\nmax-records = 5000\nmax-bytes = 1000000\noverflow = drop-oldest\n"
      "[spool]\ndir = spool-here\nmax-bytes = 2000000\n");
  auto p = parse({"--config", file.path.c_str()});
  REQUIRE(p.outcome == ConfigOutcome::run);
  CHECK(p.config.writer.max_buffered_records == 5000);
  CHECK(p.config.writer.max_buffered_bytes == 1000000);
  CHECK(p.config.writer.overflow == OverflowPolicy::drop_oldest);
  CHECK(p.config.writer.spool.dir == "spool-here");
  CHECK(p.config.writer.spool.max_bytes == 2000000);

  for (auto bad : {std::vector<const char*>{"--buffer.overflow", "drop-newest"},
                   {"--buffer.max-records", "0"},
                   {"--buffer.max-bytes", "0"},
                   {"--spool.max-bytes", "1000"}}) {
    auto e = parse(bad);
    CHECK(e.outcome == ConfigOutcome::error);
    CHECK(e.message.find(std::string(bad[0]).substr(2)) != std::string::npos);
  }
}

TEST_CASE("config: intel snapshot and streams") {
  auto d = parse({});
  REQUIRE(d.outcome == ConfigOutcome::run);
  CHECK(d.config.inbound.snapshot.enabled);
  CHECK(d.config.inbound.snapshot.prefix == "zeek:intel:snapshot:");
  CHECK(d.config.inbound.streams.streams.empty());
  TempFile file(
      "[intel]\nsnapshot = false\nsnapshot-prefix = i:\nstream = s1\nstream = s2\n"
      "group = g\nconsumer = c\nstream-count = 7\nstream-block-ms = 50\n");
  auto p = parse({"--config", file.path.c_str()});
  REQUIRE(p.outcome == ConfigOutcome::run);
  const auto& in = p.config.inbound;
  CHECK_FALSE(in.snapshot.enabled);
  CHECK(in.snapshot.prefix == "i:");
  CHECK(in.streams.streams == std::vector<std::string>{"s1", "s2"});
  CHECK(in.streams.group == "g");
  CHECK(in.streams.consumer == "c");
  CHECK(in.streams.count == 7);
  CHECK(in.streams.block == std::chrono::milliseconds(50));
  for (auto args : std::vector<std::vector<const char*>>{
           {"--intel.snapshot-prefix", ""},
           {"--intel.snapshot-prefix", "zeek:intel:"},  // the sources key would be in it
           {"--intel.stream", ""},
           {"--intel.group", ""},
           {"--intel.stream-count", "0"},
           {"--intel.stream-block-ms", "0"},
           {"--intel.snapshot", "maybe"},
           {"--broker.max-batch-delay-us", "0"},
           {"--broker.credit-round-us", "0"}}) {
    auto bad = parse(args);
    INFO(args[0], ": ", bad.message);
    CHECK(bad.outcome == ConfigOutcome::error);
    CHECK(bad.message.find(args[0] + 2) != std::string::npos);
  }
}

TEST_CASE("config: metrics, rejection log limit, stream limit and Broker TLS options") {
  auto p = parse({});
  REQUIRE(p.outcome == ConfigOutcome::run);
  CHECK(p.config.metrics_listen.empty());  // off unless asked for
  CHECK(p.config.rejection_log.lines == 20);
  CHECK(p.config.protocol_limits.max_streams == 4096);
  p = parse({"--metrics.listen", "127.0.0.1:9911", "--log.rejected-lines", "5",
             "--log.rejected-interval-s", "10", "--limits.max-streams", "7"});
  REQUIRE(p.outcome == ConfigOutcome::run);
  CHECK(p.config.metrics_listen == "127.0.0.1:9911");
  CHECK(p.config.rejection_log.lines == 5);
  CHECK(p.config.rejection_log.interval == std::chrono::seconds(10));
  CHECK(p.config.protocol_limits.max_streams == 7);
  CHECK(parse({"--metrics.listen", "off"}).config.metrics_listen.empty());
  // Any readable file stands in for a certificate: Broker reads it later.
  const char* file = ZRB_SOURCE_DIR "/README.md";
  p = parse({"--broker.ssl-certificate", file, "--broker.ssl-key", file, "--broker.ssl-cafile",
             file, "--broker.ssl-passphrase", "pw"});
  REQUIRE(p.outcome == ConfigOutcome::run);
  CHECK(p.config.broker.ssl_certificate == file);
  CHECK(p.config.broker.ssl_passphrase == "pw");
  struct Case {
    std::vector<const char*> args;
    const char* says;
  };
  for (const auto& c : std::vector<Case>{
           {{"--metrics.listen", "9911"}, "metrics.listen"},
           {{"--limits.max-streams", "0"}, "limits.max-streams"},
           {{"--log.rejected-interval-s", "0"}, "log.rejected-interval-s"},
           {{"--broker.ssl-certificate", file}, "give both or neither"},
           {{"--broker.ssl-cafile", file}, "need broker.ssl-certificate"},
           {{"--broker.ssl-capath", ZRB_SOURCE_DIR}, "need broker.ssl-certificate"},
           {{"--broker.ssl-passphrase", "pw"}, "need broker.ssl-certificate"},
           {{"--broker.ssl-certificate", file, "--broker.ssl-key", file, "--broker.ssl-cafile",
             file, "--broker.disable-ssl"},
            "broker.disable-ssl"},
           {{"--broker.ssl-certificate", file, "--broker.ssl-key", file, "--broker.ssl-cafile",
             "no-such-ca.pem"},
            "no-such-ca.pem"},
       }) {
    auto bad = parse(c.args);
    INFO(c.says, ": ", bad.message);
    CHECK(bad.outcome == ConfigOutcome::error);
    CHECK(bad.message.find(c.says) != std::string::npos);
  }
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
