#include "intel/intel_stream_reader.hh"

#include <unistd.h>

#include <climits>
#include <stdexcept>

#include "observe/counters.hh"
#include "observe/log.hh"

namespace zrb {

namespace {

std::string_view text(const redisReply& r) {
  return std::string_view(r.str, r.len);
}

bool is_string(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

IntelStreamOptions checked(IntelStreamOptions o) {
  if (o.streams.empty()) throw std::invalid_argument("IntelStreamReader: no stream to read");
  if (o.consumer.empty()) o.consumer = default_consumer_name();
  o.count = std::max<size_t>(o.count, 1);
  // A read waits up to `block` for Redis by design: bound it beyond that.
  o.redis.io_timeout = std::max(o.redis.io_timeout, o.block + std::chrono::seconds(5));
  return o;
}

}  // namespace

std::string default_consumer_name() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "zeek-redis-bridge";
  return host;
}

IntelStreamReader::IntelStreamReader(IntelStreamOptions options)
    : options_(checked(std::move(options))),
      queue_(options_.max_queued),
      worker_("intel stream reader", options_.redis),
      reconnects_(counters().get("intel_stream_reconnects")) {
  thread_ = std::thread([this] { run(); });
}

IntelStreamReader::~IntelStreamReader() {
  stop();
}

void IntelStreamReader::stop() {
  worker_.stop();
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void IntelStreamReader::run() {
  RedisWorker::block_sigpipe();

  const std::string count = std::to_string(options_.count);
  const std::string block = std::to_string(options_.block.count());
  bool ever_connected = false;
  std::string trouble;
  while (!worker_.stopping()) {
    if (!worker_.ensure_connected(&trouble)) {
      worker_.retry_after(trouble);
      continue;
    }
    if (ever_connected) ++reconnects_;
    ever_connected = true;
    if (!create_groups(&trouble)) {
      worker_.retry_after(trouble);
      continue;
    }
    worker_.succeeded();
    log_info("intel stream reader: reading ", options_.streams.size(), " stream(s) as consumer '",
             options_.consumer, "' of group '", options_.group, "'");

    // First what this consumer read before and never acknowledged, stream
    // by stream from ID 0 (the pending entries list, oldest first) ...
    Read r = Read::ok;
    for (const auto& stream : options_.streams) {
      std::string after = "0";
      do {
        r = read({"XREADGROUP", "GROUP", options_.group, options_.consumer, "COUNT", count,
                  "STREAMS", stream, after},
                 &trouble, &after);
      } while (r == Read::ok);
      if (r != Read::empty) break;
    }
    // ... then new entries as they come.
    if (r == Read::empty) {
      std::vector<std::string_view> argv{"XREADGROUP",      "GROUP", options_.group,
                                         options_.consumer, "COUNT", count,
                                         "BLOCK",           block,   "STREAMS"};
      argv.insert(argv.end(), options_.streams.begin(), options_.streams.end());
      argv.insert(argv.end(), options_.streams.size(), ">");
      do r = read(argv, &trouble, nullptr);
      while (r == Read::ok || r == Read::empty);
    }
    if (r == Read::stopped) return;
    worker_.retry_after(trouble);
  }
}

bool IntelStreamReader::create_groups(std::string* trouble) {
  for (const auto& stream : options_.streams) {
    // From ID 0, so entries added before the group first existed (the
    // bridge never ran yet) are delivered too.
    RedisReply reply =
        worker_.conn()->command({"XGROUP", "CREATE", stream, options_.group, "0", "MKSTREAM"});
    if (!reply) {
      *trouble = "lost the connection creating the group on '" + stream + "'";
      return false;
    }
    auto error = reply_error(*reply);
    if (error && error->substr(0, 9) != "BUSYGROUP") {
      *trouble = "XGROUP CREATE '" + stream + "': " + std::string(*error);
      return false;
    }
  }
  return true;
}

// Runs one XREADGROUP and queues its entries; `last_id` (if given) becomes
// the ID of the last one, for paging through pending entries. On failed,
// `trouble` says what went wrong.
IntelStreamReader::Read IntelStreamReader::read(const std::vector<std::string_view>& argv,
                                                std::string* trouble, std::string* last_id) {
  RedisReply reply = worker_.conn()->command(argv);
  if (!reply) {
    if (worker_.stopping()) return Read::stopped;
    *trouble = "lost the connection (" + worker_.conn()->error() + ")";
    return Read::failed;
  }
  if (auto error = reply_error(*reply)) {
    *trouble = "XREADGROUP: " + std::string(*error);
    return Read::failed;
  }
  if (reply->type == REDIS_REPLY_NIL) return Read::empty;  // BLOCK ran out
  if (reply->type != REDIS_REPLY_ARRAY) {
    *trouble = "XREADGROUP: unexpected reply type " + std::to_string(reply->type);
    return Read::failed;
  }
  size_t entries = 0;
  // [[stream, [[id, [field, value, ...] or nil], ...]], ...]
  for (size_t s = 0; s < reply->elements; ++s) {
    const redisReply* per_stream = reply->element[s];
    if (per_stream->type != REDIS_REPLY_ARRAY || per_stream->elements != 2 ||
        !is_string(per_stream->element[0]) || per_stream->element[1]->type != REDIS_REPLY_ARRAY)
      continue;
    std::string stream(text(*per_stream->element[0]));
    auto& in_stream = counters().get("intel_stream_entries", stream);
    const redisReply& list = *per_stream->element[1];
    for (size_t e = 0; e < list.elements; ++e) {
      const redisReply* entry = list.element[e];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || !is_string(entry->element[0]))
        continue;
      IntelStreamEntry out{stream, std::string(text(*entry->element[0])), std::nullopt, false};
      const redisReply* fields = entry->element[1];
      if (fields->type != REDIS_REPLY_ARRAY) {
        out.deleted = true;
      } else {
        for (size_t f = 0; f + 1 < fields->elements; f += 2)
          if (is_string(fields->element[f]) && text(*fields->element[f]) == options_.field &&
              is_string(fields->element[f + 1]))
            out.payload = std::string(text(*fields->element[f + 1]));
      }
      if (last_id) *last_id = out.id;
      ++in_stream;
      ++entries;
      if (!queue_.push(std::move(out))) return Read::stopped;
    }
  }
  return entries > 0 ? Read::ok : Read::empty;
}

}  // namespace zrb
