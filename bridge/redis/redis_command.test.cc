#include "redis/redis_command.hh"

#include <doctest/doctest.h>

#include "support/redis_server.hh"

namespace zrb {

namespace {

Route route_for(RoutingConfig config, std::string_view path) {
  std::string error;
  auto router = Router::make(config, &error);
  REQUIRE(router);
  return router->route(path);
}

// Sends a batch the way the writer does: one append, one reply per command.
std::vector<RedisReply> send(RedisContext& conn, const CommandBatch& batch) {
  REQUIRE(conn.append_formatted(batch.resp));
  std::vector<RedisReply> replies;
  for (size_t i = 0; i < batch.commands; ++i) {
    replies.push_back(conn.get_reply());
    REQUIRE(replies.back());
  }
  return replies;
}

std::string str(const redisReply* reply) {
  return std::string(reply->str, reply->len);
}

}  // namespace

TEST_CASE("format_command writes RESP with exact lengths") {
  std::string out = "prefix|";
  format_command(out, {"LPUSH", "k", std::string_view("a\0\r\nb", 5)});
  const char expected[] = "prefix|*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n";
  CHECK(out == std::string(expected, sizeof(expected) - 1));
  std::string empty;
  format_command(empty, {"PUBLISH", "", ""});
  CHECK(empty == "*3\r\n$7\r\nPUBLISH\r\n$0\r\n\r\n$0\r\n\r\n");

  // Any number of arguments (the generic command), past the small fast path.
  std::vector<std::string_view> many{"SADD", "k"};
  for (int i = 0; i < 10; ++i) many.push_back("m");
  std::string long_command;
  format_command(long_command, many.data(), many.size());
  std::string want = "*12\r\n$4\r\nSADD\r\n$1\r\nk\r\n";
  for (int i = 0; i < 10; ++i) want += "$1\r\nm\r\n";
  CHECK(long_command == want);
}

TEST_CASE("append_record: one command per record, two for a capped list") {
  RoutingConfig config;
  Route stream = route_for(config, "conn");
  config.stream_maxlen = 0;
  Route untrimmed = route_for(config, "conn");
  config.default_kind = RouteKind::list;
  Route list = route_for(config, "dns");
  config.list_max = 3;
  Route capped = route_for(config, "dns");
  config.default_kind = RouteKind::pubsub;
  Route channel = route_for(config, "notice");
  config.default_kind = RouteKind::drop;
  Route dropped = route_for(config, "weird");

  CommandBatch batch;
  CHECK(append_record(batch, stream, "{}") == 1);
  CHECK(batch.resp.find("XADD") != std::string::npos);
  CHECK(batch.resp.find("MAXLEN\r\n$1\r\n~\r\n$7\r\n1000000\r\n$1\r\n*\r\n$4\r\njson") !=
        std::string::npos);
  std::string before = batch.resp;
  CHECK(append_record(batch, untrimmed, "{}") == 1);
  CHECK(batch.resp.substr(before.size()) ==
        "*5\r\n$4\r\nXADD\r\n$9\r\nzeek:conn\r\n$1\r\n*\r\n$4\r\njson\r\n$2\r\n{}\r\n");
  CHECK(append_record(batch, list, "a") == 1);
  CHECK(append_record(batch, capped, "b") == 2);
  CHECK(batch.resp.find("$5\r\nLTRIM\r\n$8\r\nzeek:dns\r\n$1\r\n0\r\n$1\r\n2\r\n") !=
        std::string::npos);
  CHECK(append_record(batch, channel, "c") == 1);
  CHECK(append_record(batch, dropped, "d") == 0);
  CHECK(batch.records == 5);
  CHECK(batch.commands == 6);

  // Consecutive records of one route share a run; a route change starts one.
  REQUIRE(batch.runs.size() == 4);
  CHECK(batch.runs[0].key == "zeek:conn");
  CHECK(batch.runs[0].records == 2);
  CHECK(batch.runs[1].records == 1);
  CHECK(batch.runs[1].commands_per_record == 1);
  CHECK(batch.runs[2].key == "zeek:dns");
  CHECK(batch.runs[2].commands_per_record == 2);
  CHECK(batch.runs[3].path == "notice");

  size_t capacity = batch.resp.capacity();
  batch.clear();
  CHECK(batch.empty());
  CHECK(batch.commands == 0);
  CHECK(batch.runs.empty());
  CHECK(batch.resp.capacity() == capacity);
}

TEST_CASE("a batch runs in Redis as built: every kind, binary-safe") {
  test::RedisServer redis;
  auto conn = redis.client();
  auto subscriber = redis.client();
  auto subscribed = subscriber.command({"SUBSCRIBE", "zeek:notice"});
  REQUIRE(subscribed);

  RoutingConfig config;
  config.stream_maxlen = 0;
  Route stream = route_for(config, "conn");
  config.default_kind = RouteKind::list;
  config.list_max = 2;
  Route capped_left = route_for(config, "dns");
  config.list_left = false;
  Route capped_right = route_for(config, "http");
  config.default_kind = RouteKind::pubsub;
  Route channel = route_for(config, "notice");

  std::string binary("{\"s\":\"\0\r\n\"}", 11);
  CommandBatch batch;
  append_record(batch, stream, binary);
  for (const char* value : {"1", "2", "3"}) {
    append_record(batch, capped_left, value);
    append_record(batch, capped_right, value);
  }
  append_record(batch, channel, binary);
  auto replies = send(conn, batch);
  CHECK(replies.size() == 1 + 3 * (2 + 2) + 1);
  for (auto& reply : replies) CHECK_FALSE(reply_error(*reply));

  auto range = conn.command({"XRANGE", "zeek:conn", "-", "+"});
  REQUIRE(range->elements == 1);
  const redisReply* fields = range->element[0]->element[1];
  CHECK(str(fields->element[0]) == "json");
  CHECK(str(fields->element[1]) == binary);

  auto left = conn.command({"LRANGE", "zeek:dns", "0", "-1"});
  REQUIRE(left->elements == 2);
  CHECK(str(left->element[0]) == "3");  // LPUSH: newest first
  CHECK(str(left->element[1]) == "2");
  auto right = conn.command({"LRANGE", "zeek:http", "0", "-1"});
  REQUIRE(right->elements == 2);
  CHECK(str(right->element[0]) == "2");  // RPUSH: newest last
  CHECK(str(right->element[1]) == "3");

  auto message = subscriber.get_reply();
  REQUIRE(message);
  REQUIRE(message->elements == 3);
  CHECK(str(message->element[0]) == "message");
  CHECK(str(message->element[1]) == "zeek:notice");
  CHECK(str(message->element[2]) == binary);
}

}  // namespace zrb

namespace zrb {

TEST_CASE("append_command: one arbitrary command, one record of its own run") {
  CommandBatch batch;
  append_command(batch, "intel-ack", "s", {"XACK", "s", "g", "1-1"});
  append_command(batch, "intel-ack", "s", {"XACK", "s", "g", "1-2"});
  append_command(batch, "intel-snapshot", "k", {"HSET", "k", std::string_view("f\0x", 3), "v"});
  CHECK(batch.records == 3);
  CHECK(batch.commands == 3);
  REQUIRE(batch.runs.size() == 2);
  CHECK(batch.runs[0].records == 2);
  CHECK(batch.runs[1].path == "intel-snapshot");
  CHECK(batch.resp.find(std::string("$3\r\nf\0x\r\n", 9)) != std::string::npos);
}

}  // namespace zrb
