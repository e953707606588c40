#include "config.hh"

#include <boost/program_options.hpp>

#include <fstream>
#include <sstream>

#include "base/host_port.hh"
#include "config_websocket.hh"

namespace po = boost::program_options;

namespace zrb {

namespace {

// Raw option values; validated and moved into Config by validate().
struct Raw {
  std::string config_file;
  std::string listen;
  std::vector<std::string> peers;
  unsigned retry = 5;
  std::string topic;
  bool disable_ssl = false;
  size_t broker_queue = 1024;
  std::string scheduler_policy;
  unsigned max_threads = 1;
  unsigned max_batch_delay_us = 0;
  unsigned credit_round_us = 0;
  std::string redis_url;
  size_t batch_size = 512;
  unsigned batch_delay_ms = 10;
  size_t max_queued_batches = 64;
  unsigned backoff_max_ms = 5000;
  size_t buffer_max_records = 0, buffer_max_bytes = 0;
  std::string overflow;
  std::string spool_dir;
  uint64_t spool_max_bytes = 0;
  std::string timestamps;
  std::string default_route;
  std::string key_template;
  uint64_t stream_maxlen = 0;
  std::string stream_field;
  std::string list_push;
  uint64_t list_max = 0;
  std::vector<std::string> include, exclude, routes, file_routes;
  size_t max_record_bytes = 0, max_string_bytes = 0;
  size_t max_depth = 0;
  size_t max_columns = 0;
  std::vector<std::string> in_channels, in_patterns, intel_channels;
  std::string in_topic, intel_topic, intel_error_stream;
  bool no_intel = false;
  size_t intel_max_bytes = 0, intel_max_batch = 0;
  bool intel_snapshot = true;
  std::string snapshot_prefix, snapshot_sources;
  std::vector<std::string> intel_streams;
  std::string intel_group, intel_consumer, intel_stream_field;
  size_t intel_stream_count = 0;
  unsigned intel_stream_block_ms = 0;
  // Zeek scripts' Redis operations (commands.hh).
  std::string commands_namespace;
  std::vector<std::string> commands_allow, commands_deny;
  size_t commands_max_queued = 0, commands_max_batch = 0;
  std::string log_level;
  std::string log_file;
  unsigned stats_interval = 60;
  unsigned shutdown_timeout_ms = 10000;
  std::string metrics_listen;
  size_t max_streams = 0;
  size_t max_name_bytes = 0;
  size_t rejected_lines = 0;
  unsigned rejected_interval_s = 0;
  std::string ssl_certificate, ssl_key, ssl_passphrase, ssl_cafile, ssl_capath;
  RawWebSocket websocket;
};

po::options_description describe_options(Raw& r, const Config& d) {
  po::options_description general("General");
  general.add_options()("help,h", "print this help and exit")("version",
                                                              "print the version and exit")(
      "check-config",
      "check the configuration (files, values, routes) and exit: 0 if the daemon would start "
      "with it, 2 with the reason if not; connects to nothing")(
      "config,c", po::value(&r.config_file),
      "INI file with the options below (sections [broker], [redis], ...); the command line "
      "wins over it");

  po::options_description broker("Broker (Zeek side)");
  broker.add_options()(
      "broker.listen", po::value(&r.listen)->default_value(d.broker.listen),
      "address:port to accept Zeek peers on; empty: do not listen; port 0: any free port")(
      "broker.peer", po::value(&r.peers)->composing(),
      "host:port of a Zeek node to peer with (repeatable)")(
      "broker.retry-s", po::value(&r.retry)->default_value(d.broker.retry_seconds),
      "seconds between attempts to reach a peer")(
      "broker.topic", po::value(&r.topic)->default_value(d.broker.topic),
      "topic prefix to subscribe to")(
      "broker.disable-ssl", po::bool_switch(&r.disable_ssl),
      "peer without TLS (Zeek: redef Broker::disable_ssl=T on both sides)")(
      "broker.queue", po::value(&r.broker_queue)->default_value(d.broker.queue_size),
      "messages Broker may queue for the bridge before it pushes back")(
      "broker.scheduler-policy",
      po::value(&r.scheduler_policy)->default_value(d.broker.scheduler_policy),
      "CAF scheduler: sharing (as Zeek runs Broker) or stealing")(
      "broker.max-threads", po::value(&r.max_threads)->default_value(d.broker.max_threads),
      "CAF worker threads")(
      "broker.ssl-certificate", po::value(&r.ssl_certificate),
      "PEM certificate the bridge presents (Zeek: Broker::ssl_certificate); needs "
      "broker.ssl-key")("broker.ssl-key", po::value(&r.ssl_key),
                        "PEM private key of that certificate (Broker::ssl_keyfile)")(
      "broker.ssl-passphrase", po::value(&r.ssl_passphrase),
      "passphrase of the key (Broker::ssl_passphrase); better in the config file than on the "
      "command line; never logged")("broker.ssl-cafile", po::value(&r.ssl_cafile),
                                    "CA file peers' certificates must be signed by "
                                    "(Broker::ssl_cafile)")(
      "broker.ssl-capath", po::value(&r.ssl_capath),
      "directory of CA certificates, likewise (Broker::ssl_capath)");
  broker.add_options()("broker.max-batch-delay-us",
                       po::value(&r.max_batch_delay_us)->default_value(d.broker.max_batch_delay_us),
                       "longest time Broker holds a batch that is not full before sending it to "
                       "Zeek (CAF stream.max-batch-delay; CAF's default is 5000)")(
      "broker.credit-round-us",
      po::value(&r.credit_round_us)->default_value(d.broker.credit_round_us),
      "how often Broker 1.4 grants a peer credit (CAF stream.credit-round-interval; CAF's "
      "default is 10000): what a peer may send ahead of the bridge grows with it");

  po::options_description redis("Redis");
  redis.add_options()("redis.url",
                      po::value(&r.redis_url)->default_value("redis://127.0.0.1:6379/0"),
                      "redis://[user[:password]@]host[:port][/db] or unix:///path.sock[?db=N]")(
      "redis.batch-size", po::value(&r.batch_size)->default_value(d.writer.batch_size),
      "records per pipelined batch")(
      "redis.batch-delay-ms",
      po::value(&r.batch_delay_ms)->default_value(d.writer.batch_delay.count()),
      "longest a record waits for its batch to fill")(
      "redis.max-queued-batches",
      po::value(&r.max_queued_batches)->default_value(d.writer.max_queued_batches),
      "batches waiting for Redis in memory before the buffer counts as full")(
      "redis.backoff-max-ms",
      po::value(&r.backoff_max_ms)->default_value(d.writer.backoff_max.count()),
      "longest wait between reconnection attempts");

  po::options_description buffer("Buffering while Redis is slow or away");
  buffer.add_options()(
      "buffer.max-records",
      po::value(&r.buffer_max_records)->default_value(d.writer.max_buffered_records),
      "records waiting for Redis in memory before the buffer counts as full")(
      "buffer.max-bytes",
      po::value(&r.buffer_max_bytes)->default_value(d.writer.max_buffered_bytes),
      "bytes of Redis commands waiting in memory before the buffer counts as full")(
      "buffer.overflow", po::value(&r.overflow)->default_value("block"),
      "when memory and spool are full: block (stop reading from Broker) or drop-oldest")(
      "spool.dir", po::value(&r.spool_dir),
      "directory to spill batches to when memory is full and at shutdown (default: none)")(
      "spool.max-bytes", po::value(&r.spool_max_bytes)->default_value(d.writer.spool.max_bytes),
      "most bytes of unwritten batches the spool holds");

  po::options_description routing("Routing of logs to Redis");
  routing.add_options()("route.default", po::value(&r.default_route)->default_value("stream"),
                        "where a log path goes unless overridden: stream, list, pubsub, drop")(
      "route.key", po::value(&r.key_template)->default_value(d.routing.key_template),
      "key (or channel) template; {path} is the log path")(
      "route.stream-maxlen", po::value(&r.stream_maxlen)->default_value(d.routing.stream_maxlen),
      "trim streams to about this many entries (XADD MAXLEN ~); 0: no trimming")(
      "route.stream-field", po::value(&r.stream_field)->default_value(d.routing.stream_field),
      "stream entry field that holds the JSON")("route.list-push",
                                                po::value(&r.list_push)->default_value("lpush"),
                                                "lpush (newest first) or rpush (oldest first)")(
      "route.list-max", po::value(&r.list_max)->default_value(d.routing.list_max),
      "trim lists to the newest N entries; 0: no trimming")(
      "route", po::value(&r.routes)->composing(),
      "PATH=KIND[:KEY] override for one log path, e.g. dns=list:zeek:dns, weird=drop "
      "(repeatable)")("route.override", po::value(&r.file_routes)->composing(),
                      "the same as --route, spelled `override = ...` in the file's [route] "
                      "section")("route.include", po::value(&r.include)->composing(),
                                 "forward only these log paths (repeatable; default: all)")(
      "route.exclude", po::value(&r.exclude)->composing(),
      "never forward these log paths (repeatable; wins over include)");

  po::options_description json("JSON");
  json.add_options()("json.timestamps", po::value(&r.timestamps)->default_value("epoch"),
                     "epoch (LogAscii default), iso8601 (JSON::TS_ISO8601) or millis "
                     "(JSON::TS_MILLIS)");

  po::options_description limits("Limits on input");
  limits.add_options()(
      "limits.max-record-bytes",
      po::value(&r.max_record_bytes)->default_value(d.convert_limits.max_record_bytes),
      "largest JSON line a record may produce")(
      "limits.max-string-bytes",
      po::value(&r.max_string_bytes)->default_value(d.convert_limits.max_string_bytes),
      "longest string value in a record (string_too_long)")(
      "limits.max-depth", po::value(&r.max_depth)->default_value(d.broker.max_depth),
      "deepest nesting of a received value")(
      "limits.max-columns", po::value(&r.max_columns)->default_value(d.protocol_limits.max_columns),
      "most columns a log schema may have")(
      "limits.max-streams", po::value(&r.max_streams)->default_value(d.protocol_limits.max_streams),
      "most (node, log path) schemas kept; more are rejected (too_many_streams)")(
      "limits.max-name-bytes",
      po::value(&r.max_name_bytes)->default_value(d.protocol_limits.max_name_bytes),
      "longest node name and log path; longer ones are rejected (name_too_long)");

  po::options_description inbound("Redis to Zeek");
  inbound.add_options()("redis-in.channel", po::value(&r.in_channels)->composing(),
                        "Redis channel to SUBSCRIBE to; each message becomes a "
                        "RedisBridge::redis_message event (repeatable)")(
      "redis-in.pattern", po::value(&r.in_patterns)->composing(),
      "Redis channel pattern to PSUBSCRIBE to, likewise (repeatable)")(
      "redis-in.topic", po::value(&r.in_topic)->default_value(d.inbound.messages_topic),
      "Broker topic of redis_message events")(
      "intel.channel", po::value(&r.intel_channels)->composing(),
      "channel carrying intel JSON (repeatable; default: zeek:intel)")(
      "intel.disable", po::bool_switch(&r.no_intel), "read no intel channel")(
      "intel.topic", po::value(&r.intel_topic)->default_value(d.inbound.intel_topic),
      "Broker topic of the intel events")(
      "intel.error-stream",
      po::value(&r.intel_error_stream)->default_value(d.inbound.intel_error_stream),
      "Redis stream that receives each rejected indicator and why")(
      "intel.max-message-bytes",
      po::value(&r.intel_max_bytes)->default_value(d.inbound.intel_limits.max_message_bytes),
      "largest intel message accepted")(
      "intel.max-batch",
      po::value(&r.intel_max_batch)->default_value(d.inbound.intel_limits.max_batch),
      "most indicators in one intel message");
  inbound.add_options()(
      "intel.snapshot", po::value(&r.intel_snapshot)->default_value(d.inbound.snapshot.enabled),
      "keep the current indicator set in Redis and replay it to every Zeek peer that connects "
      "(true/false)")("intel.snapshot-prefix",
                      po::value(&r.snapshot_prefix)->default_value(d.inbound.snapshot.prefix),
                      "snapshot hash of source S: this prefix + S")(
      "intel.snapshot-sources-key",
      po::value(&r.snapshot_sources)->default_value(d.inbound.snapshot.sources_key),
      "set naming the sources in the snapshot")(
      "intel.stream", po::value(&r.intel_streams)->composing(),
      "Redis stream carrying intel JSON, read through a consumer group (repeatable; default: "
      "none)")("intel.group", po::value(&r.intel_group)->default_value(d.inbound.streams.group),
               "consumer group of the intel streams")(
      "intel.consumer", po::value(&r.intel_consumer),
      "this bridge's consumer name in the group (default: the host name)")(
      "intel.stream-field",
      po::value(&r.intel_stream_field)->default_value(d.inbound.streams.field),
      "stream entry field holding the intel JSON")(
      "intel.stream-count",
      po::value(&r.intel_stream_count)->default_value(d.inbound.streams.count),
      "entries per XREADGROUP")(
      "intel.stream-block-ms",
      po::value(&r.intel_stream_block_ms)
          ->default_value(static_cast<unsigned>(d.inbound.streams.block.count())),
      "how long one XREADGROUP waits for new entries");

  po::options_description commands("Redis operations of Zeek scripts");
  commands.add_options()("commands.namespace",
                         po::value(&r.commands_namespace)->default_value(d.commands.key_prefix),
                         "prefix of every key of the typed operations (RedisBridge::set, ...)")(
      "commands.allow", po::value(&r.commands_allow)->composing(),
      "also allow this command in RedisBridge::command (repeatable)")(
      "commands.deny", po::value(&r.commands_deny)->composing(),
      "refuse this command of the default allowlist (repeatable)")(
      "commands.max-queued",
      po::value(&r.commands_max_queued)->default_value(d.commands.max_queued),
      "requests waiting for Redis at most; beyond, refused with an error reply")(
      "commands.max-batch", po::value(&r.commands_max_batch)->default_value(d.commands.max_batch),
      "requests per round trip to Redis at most");

  po::options_description daemon("Daemon");
  daemon.add_options()("log.level", po::value(&r.log_level)->default_value("info"),
                       "debug, info, warning or error")(
      "log.file", po::value(&r.log_file), "append the log to this file (default: stderr)")(
      "stats.interval-s", po::value(&r.stats_interval)->default_value(d.stats_interval_s),
      "seconds between summary lines in the log; 0: none")(
      "shutdown.timeout-ms",
      po::value(&r.shutdown_timeout_ms)->default_value(d.shutdown_timeout.count()),
      "how long SIGTERM/SIGINT may take to write buffered records to Redis")(
      "log.rejected-lines", po::value(&r.rejected_lines)->default_value(d.rejection_log.lines),
      "log lines per rejection reason per log.rejected-interval-s (every one is counted); 0: "
      "no limit")("log.rejected-interval-s",
                  po::value(&r.rejected_interval_s)
                      ->default_value(static_cast<unsigned>(d.rejection_log.interval.count())),
                  "interval of log.rejected-lines")(
      "metrics.listen", po::value(&r.metrics_listen)->default_value(d.metrics_listen),
      "address:port serving Prometheus metrics at /metrics, e.g. 127.0.0.1:9911; empty or "
      "off: none");

  po::options_description all;
  all.add(general)
      .add(broker)
      .add(redis)
      .add(buffer)
      .add(routing)
      .add(json)
      .add(limits)
      .add(inbound)
      .add(daemon);
  all.add(commands);
  all.add(describe_websocket(r.websocket, d));
  return all;
}

bool validate(Raw& r, Config& c, std::string& error) {
  auto fail = [&](std::string text) {
    error = std::move(text);
    return false;
  };
  c.broker.listen = r.listen;
  c.broker.peers = r.peers;
  c.broker.retry_seconds = r.retry;
  c.broker.topic = r.topic;
  c.broker.disable_ssl = r.disable_ssl;
  c.broker.queue_size = r.broker_queue;
  std::string host;
  uint16_t port = 0;
  if (!c.broker.listen.empty() && !split_host_port(c.broker.listen, host, port))
    return fail("broker.listen: '" + c.broker.listen + "' is not address:port");
  for (const auto& p : c.broker.peers)
    if (!split_host_port(p, host, port) || port == 0)
      return fail("broker.peer: '" + p + "' is not host:port");
  if (c.broker.listen.empty() && c.broker.peers.empty())
    return fail("nothing to connect to: set broker.listen or at least one broker.peer");
  if (c.broker.topic.empty()) return fail("broker.topic: must not be empty");
  if (c.broker.retry_seconds == 0) return fail("broker.retry-s: must be at least 1");
  if (c.broker.queue_size == 0) return fail("broker.queue: must be at least 1");
  if (r.scheduler_policy != "sharing" && r.scheduler_policy != "stealing")
    return fail("broker.scheduler-policy: '" + r.scheduler_policy + "' is not sharing or stealing");
  c.broker.scheduler_policy = r.scheduler_policy;
  if (r.max_threads == 0) return fail("broker.max-threads: must be at least 1");
  c.broker.max_threads = r.max_threads;
  if (r.max_batch_delay_us == 0) return fail("broker.max-batch-delay-us: must be at least 1");
  c.broker.max_batch_delay_us = r.max_batch_delay_us;
  if (r.credit_round_us == 0) return fail("broker.credit-round-us: must be at least 1");
  c.broker.credit_round_us = r.credit_round_us;

  std::string why;
  auto url = RedisUrl::parse(r.redis_url, &why);
  if (!url) return fail("redis.url: " + why);
  c.writer.url = *url;
  if (r.batch_size == 0) return fail("redis.batch-size: must be at least 1");
  c.writer.batch_size = r.batch_size;
  c.writer.batch_delay = std::chrono::milliseconds(r.batch_delay_ms);
  if (r.max_queued_batches == 0) return fail("redis.max-queued-batches: must be at least 1");
  c.writer.max_queued_batches = r.max_queued_batches;
  c.writer.backoff_max = std::chrono::milliseconds(std::max(r.backoff_max_ms, 1u));
  if (r.buffer_max_records == 0) return fail("buffer.max-records: must be at least 1");
  c.writer.max_buffered_records = r.buffer_max_records;
  if (r.buffer_max_bytes == 0) return fail("buffer.max-bytes: must be at least 1");
  c.writer.max_buffered_bytes = r.buffer_max_bytes;
  if (!parse_overflow_policy(r.overflow, c.writer.overflow))
    return fail("buffer.overflow: '" + r.overflow + "' is not block or drop-oldest");
  c.writer.spool.dir = r.spool_dir;
  if (r.spool_max_bytes < 1024 * 1024) return fail("spool.max-bytes: must be at least 1048576");
  c.writer.spool.max_bytes = r.spool_max_bytes;

  if (!parse_route_kind(r.default_route, c.routing.default_kind))
    return fail("route.default: '" + r.default_route + "' is not stream, list, pubsub or drop");
  c.routing.key_template = r.key_template;
  c.routing.stream_maxlen = r.stream_maxlen;
  c.routing.stream_field = r.stream_field;
  if (r.list_push != "lpush" && r.list_push != "rpush")
    return fail("route.list-push: '" + r.list_push + "' is not lpush or rpush");
  c.routing.list_left = r.list_push == "lpush";
  c.routing.list_max = r.list_max;
  c.routing.include = r.include;
  c.routing.exclude = r.exclude;
  c.routing.overrides = r.routes;
  c.routing.overrides.insert(c.routing.overrides.end(), r.file_routes.begin(), r.file_routes.end());
  if (!Router::make(c.routing, &why)) return fail("route: " + why);

  if (!parse_time_format(r.timestamps, c.timestamps))
    return fail("json.timestamps: '" + r.timestamps + "' is not epoch, iso8601 or millis");
  if (r.max_record_bytes < 1024) return fail("limits.max-record-bytes: must be at least 1024");
  c.convert_limits.max_record_bytes = r.max_record_bytes;
  if (r.max_string_bytes < 1) return fail("limits.max-string-bytes: must be at least 1");
  c.convert_limits.max_string_bytes = r.max_string_bytes;
  if (r.max_depth < 2) return fail("limits.max-depth: must be at least 2");
  c.broker.max_depth = r.max_depth;
  c.convert_limits.max_depth = r.max_depth;
  if (r.max_columns == 0) return fail("limits.max-columns: must be at least 1");
  c.protocol_limits.max_columns = r.max_columns;
  if (r.max_streams == 0) return fail("limits.max-streams: must be at least 1");
  c.protocol_limits.max_streams = r.max_streams;
  if (r.max_name_bytes == 0) return fail("limits.max-name-bytes: must be at least 1");
  c.protocol_limits.max_name_bytes = r.max_name_bytes;

  c.inbound_channels = r.in_channels;
  c.inbound_patterns = r.in_patterns;
  c.inbound.messages_topic = r.in_topic;
  if (r.no_intel)
    c.inbound.intel_channels.clear();
  else if (!r.intel_channels.empty())
    c.inbound.intel_channels = r.intel_channels;
  c.inbound.intel_topic = r.intel_topic;
  c.inbound.intel_error_stream = r.intel_error_stream;
  if (r.intel_error_stream.empty()) return fail("intel.error-stream: must not be empty");
  if (r.intel_max_bytes == 0) return fail("intel.max-message-bytes: must be at least 1");
  c.inbound.intel_limits.max_message_bytes = r.intel_max_bytes;
  if (r.intel_max_batch == 0) return fail("intel.max-batch: must be at least 1");
  c.inbound.intel_limits.max_batch = r.intel_max_batch;
  for (const auto& ch : c.inbound.intel_channels)
    if (ch.empty()) return fail("intel.channel: must not be empty");
  c.inbound.snapshot.enabled = r.intel_snapshot;
  if (r.snapshot_prefix.empty()) return fail("intel.snapshot-prefix: must not be empty");
  c.inbound.snapshot.prefix = r.snapshot_prefix;
  if (r.snapshot_sources.empty()) return fail("intel.snapshot-sources-key: must not be empty");
  if (r.snapshot_sources.rfind(r.snapshot_prefix, 0) == 0)
    return fail("intel.snapshot-sources-key: must not start with intel.snapshot-prefix ('" +
                r.snapshot_prefix + "'), or a source could be named like it");
  c.inbound.snapshot.sources_key = r.snapshot_sources;
  for (const auto& st : r.intel_streams)
    if (st.empty()) return fail("intel.stream: must not be empty");
  c.inbound.streams.streams = r.intel_streams;
  if (r.intel_group.empty()) return fail("intel.group: must not be empty");
  c.inbound.streams.group = r.intel_group;
  c.inbound.streams.consumer = r.intel_consumer;
  if (r.intel_stream_field.empty()) return fail("intel.stream-field: must not be empty");
  c.inbound.streams.field = r.intel_stream_field;
  if (r.intel_stream_count == 0) return fail("intel.stream-count: must be at least 1");
  c.inbound.streams.count = r.intel_stream_count;
  if (r.intel_stream_block_ms == 0) return fail("intel.stream-block-ms: must be at least 1");
  c.inbound.streams.block = std::chrono::milliseconds(r.intel_stream_block_ms);
  for (const auto& ch : c.inbound_channels)
    if (ch.empty()) return fail("redis-in.channel: must not be empty");

  c.commands.key_prefix = r.commands_namespace;
  if (!CommandAllowlist::make(r.commands_allow, r.commands_deny, c.commands.allowlist, &why))
    return fail(why);
  if (r.commands_max_queued == 0) return fail("commands.max-queued: must be at least 1");
  c.commands.max_queued = r.commands_max_queued;
  if (r.commands_max_batch == 0) return fail("commands.max-batch: must be at least 1");
  c.commands.max_batch = r.commands_max_batch;

  if (!parse_level(r.log_level, c.log_level))
    return fail("log.level: '" + r.log_level + "' is not debug, info, warning or error");
  c.log_file = r.log_file;
  c.stats_interval_s = r.stats_interval;
  c.shutdown_timeout = std::chrono::milliseconds(r.shutdown_timeout_ms);
  c.rejection_log.lines = r.rejected_lines;
  if (r.rejected_interval_s == 0) return fail("log.rejected-interval-s: must be at least 1");
  c.rejection_log.interval = std::chrono::seconds(r.rejected_interval_s);
  c.metrics_listen = r.metrics_listen == "off" ? "" : r.metrics_listen;
  if (!c.metrics_listen.empty() && !split_host_port(c.metrics_listen, host, port))
    return fail("metrics.listen: '" + c.metrics_listen + "' is not address:port");

  // TLS: a certificate needs its key; certificates with TLS switched off
  // are a contradiction the operator should hear about.
  c.broker.ssl_certificate = r.ssl_certificate;
  c.broker.ssl_key = r.ssl_key;
  c.broker.ssl_passphrase = r.ssl_passphrase;
  c.broker.ssl_cafile = r.ssl_cafile;
  c.broker.ssl_capath = r.ssl_capath;
  if (r.ssl_certificate.empty() != r.ssl_key.empty())
    return fail("broker.ssl-certificate and broker.ssl-key: give both or neither");
  // Broker takes any of these as "TLS with certificates" and then needs the
  // bridge's own certificate: Broker 1.4 throws when the endpoint starts,
  // the Broker of Zeek 8 aborts the process.
  if (r.ssl_certificate.empty() &&
      !(r.ssl_cafile.empty() && r.ssl_capath.empty() && r.ssl_passphrase.empty()))
    return fail(
        "broker.ssl-cafile, broker.ssl-capath and broker.ssl-passphrase need "
        "broker.ssl-certificate and broker.ssl-key");
  bool any_tls = !(r.ssl_certificate.empty() && r.ssl_cafile.empty() && r.ssl_capath.empty());
  if (any_tls && c.broker.disable_ssl)
    return fail("broker.disable-ssl: cannot be combined with broker.ssl-* certificates");
  for (const auto* file : {&r.ssl_certificate, &r.ssl_key, &r.ssl_cafile})
    if (!file->empty() && !std::ifstream(*file))
      return fail("broker.ssl-*: cannot read '" + *file + "'");
  return validate_websocket(r.websocket, c, error);
}

}  // namespace

ConfigOutcome parse_config(int argc, const char* const* argv, Config& config,
                           std::string& message) {
  Raw raw;
  const Config defaults;
  auto options = describe_options(raw, defaults);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    if (vm.count("help")) {
      std::ostringstream os;
      os << "Usage: zeek-redis-bridge [options]\n\n"
            "Forwards Zeek logs received over Broker to Redis (docs/protocol.md).\n"
         << options;
      message = os.str();
      return ConfigOutcome::exit;
    }
    if (vm.count("version")) {
      message = "zeek-redis-bridge " ZRB_VERSION "\n";
      return ConfigOutcome::exit;
    }
    if (vm.count("config")) {
      auto file = vm["config"].as<std::string>();
      std::ifstream in(file);
      if (!in) {
        message = "config: cannot read '" + file + "'";
        return ConfigOutcome::error;
      }
      // Values already stored from the command line are kept: it wins.
      po::store(po::parse_config_file(in, options), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    message = e.what();
    return ConfigOutcome::error;
  }
  if (!validate(raw, config, message)) return ConfigOutcome::error;
  if (vm.count("check-config")) {
    message = "configuration OK\n";
    return ConfigOutcome::exit;
  }
  return ConfigOutcome::run;
}

}  // namespace zrb
