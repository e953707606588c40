// One blocking connection to Redis, and the replies it returns, each owned
// once: a RedisContext frees its redisContext, a RedisReply its redisReply.
//
// Connecting is the whole handshake the bridge needs: TCP or Unix socket
// with a timeout, AUTH, SELECT, and a PING that proves the connection can
// run commands (a Redis that wants a password answers NOAUTH to it, so a URL
// without one fails here and not on the first log record). Every command goes
// out as an argv, so keys and values are binary-safe.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_url.hh"

namespace zrb {

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};

/// A reply owned once; null when no reply arrived (an I/O error).
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

/// The error text of an error reply, nullopt for any other reply.
std::optional<std::string_view> reply_error(const redisReply& reply);

class RedisContext {
 public:
  // --- constructors ---

  /// Connects to `url`, authenticates, selects its database and PINGs.
  /// `connect_timeout` bounds the TCP/Unix connect, `io_timeout` every
  /// later read and write (0: no bound, for either). On failure returns nullopt
  /// and stores in `error` what failed, e.g. "AUTH: WRONGPASS ..." (never
  /// the password).
  static std::optional<RedisContext> connect(const RedisUrl& url,
                                             std::chrono::milliseconds connect_timeout,
                                             std::chrono::milliseconds io_timeout,
                                             std::string* error);

  // --- commands ---

  /// Sends one command and waits for its reply. Null on an I/O error, after
  /// which the connection is broken (see error()). An error *reply* is a
  /// reply: check it with reply_error().
  RedisReply command(const std::vector<std::string_view>& argv);
  RedisReply command(std::initializer_list<std::string_view> argv);

  /// Queues commands already formatted as RESP (see redis_command.hh); they
  /// go out with the next get_reply(). False if the buffer cannot grow.
  bool append_formatted(std::string_view resp);

  /// The next reply of a pipeline; sends what is queued first. Null on an
  /// I/O error (the connection is then broken).
  RedisReply get_reply();

  /// Replaces the bound on each later read and write (0: no bound). A
  /// subscribed connection bounds its handshake, then waits for messages
  /// as long as it takes. False on failure (the connection is then broken).
  bool set_io_timeout(std::chrono::milliseconds timeout);

  // --- accessors ---

  /// False once an I/O or protocol error has broken the connection.
  bool ok() const { return context_->err == 0; }
  /// What broke the connection; empty while ok().
  std::string error() const { return ok() ? std::string() : std::string(context_->errstr); }
  /// The socket, for shutdown(2) from another thread to abort blocking I/O.
  int fd() const { return context_->fd; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const { redisFree(context); }
  };

  explicit RedisContext(redisContext* context) : context_(context) {}

  std::unique_ptr<redisContext, ContextDeleter> context_;
};

}  // namespace zrb
