#include "logs/protocol.hh"

#include <doctest/doctest.h>

using namespace zrb;

namespace {

Vector column(std::string name, std::string type, Vector index) {
  return Vector{Value(std::move(name)), Value(std::move(type)), Value(std::move(index))};
}

Event schema_event(Vector args) {
  return Event{"zeek/redis/logs", std::string(log_schema_event), std::move(args)};
}

Vector good_schema_args() {
  return Vector{uint64_t{1}, uint64_t{30204}, "worker-1", "conn",
                Vector{column("ts", "time", Vector{uint64_t{0}}),
                       column("id.orig_h", "addr", Vector{uint64_t{2}, uint64_t{0}}),
                       column("service", "set[string]", Vector{uint64_t{6}})}};
}

std::string_view reason(const Decoded& d) {
  auto r = std::get_if<Rejection>(&d);
  return r ? r->reason : "accepted";
}

}  // namespace

TEST_CASE("a well-formed schema decodes") {
  auto d = decode_log_event(schema_event(good_schema_args()), ProtocolLimits{});
  auto msg = std::get_if<SchemaMessage>(&d);
  REQUIRE(msg != nullptr);
  CHECK(msg->schema.node == "worker-1");
  CHECK(msg->schema.path == "conn");
  CHECK(msg->schema.zeek_version == 30204);
  REQUIRE(msg->schema.columns.size() == 3);
  CHECK(msg->schema.columns[1].name == "id.orig_h");
  CHECK(msg->schema.columns[1].type == ZeekType{TypeTag::addr, TypeTag::none});
  CHECK(msg->schema.columns[1].index == std::vector<uint32_t>{2, 0});
  CHECK(msg->schema.columns[2].type == ZeekType{TypeTag::set, TypeTag::string});
}

TEST_CASE("schemas with the wrong shape are refused with the right reason") {
  ProtocolLimits limits;
  auto args = good_schema_args();
  args.pop_back();
  CHECK(reason(decode_log_event(schema_event(args), limits)) == "bad_arguments");

  args = good_schema_args();
  args[0] = int64_t{1};  // an int where Zeek sends a count
  CHECK(reason(decode_log_event(schema_event(args), limits)) == "bad_arguments");

  args = good_schema_args();
  args[4] = "columns";
  CHECK(reason(decode_log_event(schema_event(args), limits)) == "bad_arguments");

  args = good_schema_args();
  args[0] = uint64_t{99};
  CHECK(reason(decode_log_event(schema_event(args), limits)) == "protocol_version");

  args = good_schema_args();
  args[4].get_if<Vector>()->push_back(column("x", "opaque of foo", Vector{uint64_t{9}}));
  CHECK(reason(decode_log_event(schema_event(args), limits)) == "bad_schema");

  args = good_schema_args();
  args[4].get_if<Vector>()->push_back(column("x", "count", Vector{}));
  auto d = decode_log_event(schema_event(args), limits);
  CHECK(reason(d) == "bad_schema");
  // The detail names the stream, for the operator reading the log line.
  CHECK(std::get<Rejection>(d).detail.find("schema for 'conn' from 'worker-1'") == 0);

  args = good_schema_args();
  args[4].get_if<Vector>()->push_back(column("x", "count", Vector{"0"}));
  CHECK(reason(decode_log_event(schema_event(args), limits)) == "bad_schema");

  args = good_schema_args();
  args[4] = Vector{};
  CHECK(reason(decode_log_event(schema_event(args), limits)) == "bad_schema");

  limits.max_columns = 2;
  CHECK(reason(decode_log_event(schema_event(good_schema_args()), limits)) == "bad_schema");
}

TEST_CASE("batches") {
  Event ok{"zeek/redis/logs", std::string(log_batch_event),
           Vector{"zeek", "conn", Vector{Vector{uint64_t{1}}, Vector{uint64_t{2}}}}};
  auto d = decode_log_event(std::move(ok), ProtocolLimits{});
  auto msg = std::get_if<BatchMessage>(&d);
  REQUIRE(msg != nullptr);
  CHECK(msg->node == "zeek");
  CHECK(msg->path == "conn");
  CHECK(msg->records.size() == 2);

  Event short_batch{"t", std::string(log_batch_event), Vector{"zeek", "conn"}};
  CHECK(reason(decode_log_event(std::move(short_batch), ProtocolLimits{})) == "bad_arguments");
  Event wrong_type{"t", std::string(log_batch_event), Vector{"zeek", uint64_t{3}, Vector{}}};
  CHECK(reason(decode_log_event(std::move(wrong_type), ProtocolLimits{})) == "bad_arguments");
  Event unknown{"t", "RedisBridge::nope", Vector{}};
  CHECK(reason(decode_log_event(std::move(unknown), ProtocolLimits{})) == "unknown_event");
  CHECK(is_log_event(log_batch_event));
  CHECK_FALSE(is_log_event("RedisBridge::nope"));
}

TEST_CASE("node names and log paths over the limit are refused without being copied whole") {
  ProtocolLimits limits;
  limits.max_name_bytes = 16;
  auto schema_with = [](std::string node, std::string path) {
    auto a = good_schema_args();
    a[2] = Value(std::move(node));
    a[3] = Value(std::move(path));
    return schema_event(std::move(a));
  };
  auto batch_with = [](std::string node, std::string path) {
    return Event{"zeek/redis/logs", std::string(log_batch_event),
                 Vector{Value(std::move(node)), Value(std::move(path)), Vector{}}};
  };
  std::string at_limit(16, 'n'), over(2 * 1024 * 1024, 'N');
  CHECK(reason(decode_log_event(schema_with(at_limit, at_limit), limits)) == "accepted");
  CHECK(reason(decode_log_event(batch_with(at_limit, at_limit), limits)) == "accepted");
  for (auto d : {decode_log_event(schema_with(over, "conn"), limits),
                 decode_log_event(schema_with("n", over), limits),
                 decode_log_event(batch_with(over, "conn"), limits),
                 decode_log_event(batch_with("n", over), limits)}) {
    CHECK(reason(d) == "name_too_long");
    auto detail = std::get<Rejection>(d).detail;
    CHECK(detail.find("2097152 bytes (limit 16)") != std::string::npos);
    CHECK(detail.size() < 200);
  }
}
