#include "redis/redis_context.hh"

#include <sys/time.h>

namespace zrb {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

RedisReply run(redisContext* context, const std::vector<std::string_view>& argv) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  pointers.reserve(argv.size());
  lengths.reserve(argv.size());
  for (auto arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  void* reply =
      redisCommandArgv(context, static_cast<int>(argv.size()), pointers.data(), lengths.data());
  return RedisReply(static_cast<redisReply*>(reply));
}

}  // namespace

std::optional<std::string_view> reply_error(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ERROR) return std::nullopt;
  return std::string_view(reply.str, reply.len);
}

std::optional<RedisContext> RedisContext::connect(const RedisUrl& url,
                                                  std::chrono::milliseconds connect_timeout,
                                                  std::chrono::milliseconds io_timeout,
                                                  std::string* error) {
  auto fail = [&](std::string message) {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  // hiredis reads a zero timeout as "give up at once"; here it means none.
  bool unix_socket = url.transport == RedisUrl::Transport::unix_socket;
  timeval connect_tv = to_timeval(connect_timeout);
  redisContext* raw = nullptr;
  if (connect_timeout.count() <= 0)
    raw = unix_socket ? redisConnectUnix(url.socket_path.c_str())
                      : redisConnect(url.host.c_str(), url.port);
  else
    raw = unix_socket ? redisConnectUnixWithTimeout(url.socket_path.c_str(), connect_tv)
                      : redisConnectWithTimeout(url.host.c_str(), url.port, connect_tv);
  if (raw == nullptr) return fail("connect: out of memory");
  RedisContext conn(raw);
  if (!conn.ok()) return fail("connect: " + conn.error());

  if (io_timeout.count() > 0 && redisSetTimeout(raw, to_timeval(io_timeout)) != REDIS_OK)
    return fail("setting the I/O timeout: " + conn.error());
  // Keepalive finds a peer that vanished without a FIN (a crashed host, a
  // dropped NAT entry) while the bridge is idle; failing is harmless.
  if (!unix_socket) redisEnableKeepAlive(raw);

  // Each step of the handshake: a null reply is an I/O error, an error reply
  // is Redis refusing (wrong password, no such database).
  auto step = [&](const char* what, std::vector<std::string_view> argv,
                  bool tolerate_noperm) -> std::optional<std::string> {
    RedisReply reply = conn.command(argv);
    if (!reply) return std::string(what) + ": " + conn.error();
    if (auto text = reply_error(*reply)) {
      // A least-privilege ACL user may lack PING; NOPERM still proves that
      // the connection is authenticated, which is all PING is here for.
      if (tolerate_noperm && text->substr(0, 6) == "NOPERM") return std::nullopt;
      return std::string(what) + ": " + std::string(*text);
    }
    return std::nullopt;
  };

  if (url.needs_auth()) {
    auto failed = url.user.empty() ? step("AUTH", {"AUTH", url.password}, false)
                                   : step("AUTH", {"AUTH", url.user, url.password}, false);
    if (failed) return fail(*failed);
  }
  if (url.db != 0) {
    std::string db = std::to_string(url.db);
    if (auto failed = step("SELECT", {"SELECT", db}, false)) return fail(*failed);
  }
  if (auto failed = step("PING", {"PING"}, true)) return fail(*failed);
  return conn;
}

RedisReply RedisContext::command(const std::vector<std::string_view>& argv) {
  return run(context_.get(), argv);
}

RedisReply RedisContext::command(std::initializer_list<std::string_view> argv) {
  return run(context_.get(), std::vector<std::string_view>(argv));
}

bool RedisContext::append_formatted(std::string_view resp) {
  return redisAppendFormattedCommand(context_.get(), resp.data(), resp.size()) == REDIS_OK;
}

RedisReply RedisContext::get_reply() {
  void* reply = nullptr;
  if (redisGetReply(context_.get(), &reply) != REDIS_OK) return RedisReply();
  return RedisReply(static_cast<redisReply*>(reply));
}

bool RedisContext::set_io_timeout(std::chrono::milliseconds timeout) {
  // A zero timeval clears SO_RCVTIMEO/SO_SNDTIMEO: reads block until data.
  if (timeout.count() < 0) timeout = std::chrono::milliseconds(0);
  return redisSetTimeout(context_.get(), to_timeval(timeout)) == REDIS_OK;
}

}  // namespace zrb
