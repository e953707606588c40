// Where the bridge writes: a Redis URL, parsed once at startup.
//
//   redis://[user[:password]@]host[:port][/db]
//   unix://[user[:password]@]/path/to.sock[?db=N]
//
// `user` and `password` may be percent-encoded (a password holding `@`, `:`
// or `/` has to be). A user without a password is taken as a password alone,
// the legacy `AUTH password` of Redis before 6, because that is what the
// URLs in older deployments mean. `rediss://` is refused: hiredis 0.14 has no
// TLS, and a bridge that silently spoke plain text to a URL that asks for TLS
// would leak every log line; put a TLS sidecar (stunnel, spiped) in front of
// Redis and point the bridge at its local end instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zrb {

struct RedisUrl {
  enum class Transport { tcp, unix_socket };

  // --- fields ---

  /// TCP or a Unix domain socket.
  Transport transport = Transport::tcp;
  /// Host name or address (IPv6 without brackets); TCP only.
  std::string host = "127.0.0.1";
  /// TCP port.
  uint16_t port = 6379;
  /// Socket path; Unix sockets only.
  std::string socket_path;
  /// ACL user (Redis 6+); empty: none.
  std::string user;
  /// Password; empty with an empty user: no AUTH at all.
  std::string password;
  /// Database selected after connecting.
  int db = 0;

  // --- parsing and rendering ---

  /// Parses `text`. On failure returns nullopt and, if `error` is not null,
  /// stores a message that says what is wrong (it never repeats the password).
  static std::optional<RedisUrl> parse(std::string_view text, std::string* error);

  /// The URL with the password replaced by `***`: the only form to log.
  std::string masked() const;

  /// True if connecting has to send AUTH.
  bool needs_auth() const { return !user.empty() || !password.empty(); }
};

}  // namespace zrb
