#include "redis/redis_url.hh"

#include <limits>

namespace zrb {

namespace {

bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes. The message on failure names the part, never its
// text, because the part may be a password.
bool percent_decode(std::string_view in, std::string_view what, std::string& out,
                    std::string* error) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    int hi = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return fail(error, std::string("bad percent-encoding in the ") + std::string(what) +
                             " (expected %XX with two hex digits)");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// Unreserved characters (RFC 3986) stay; everything else becomes %XX, so
// that a rendered URL parses back to the same user.
std::string percent_encode(std::string_view in) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

// A decimal number in [min, max], digits only (no sign, no spaces).
bool parse_number(std::string_view text, uint64_t min, uint64_t max, uint64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value < min || value > max) return false;
  out = value;
  return true;
}

bool parse_db(std::string_view text, int& db, std::string* error) {
  uint64_t value = 0;
  if (!parse_number(text, 0, std::numeric_limits<int>::max(), value))
    return fail(
        error, "bad database number '" + std::string(text) + "' (expected a non-negative integer)");
  db = static_cast<int>(value);
  return true;
}

// userinfo is what precedes '@': "user:password", ":password", or a lone
// "password" (legacy AUTH, see the header).
bool parse_userinfo(std::string_view userinfo, RedisUrl& url, std::string* error) {
  auto colon = userinfo.find(':');
  if (colon == std::string_view::npos)
    return percent_decode(userinfo, "password", url.password, error);
  return percent_decode(userinfo.substr(0, colon), "user name", url.user, error) &&
         percent_decode(userinfo.substr(colon + 1), "password", url.password, error);
}

bool parse_tcp(std::string_view rest, RedisUrl& url, std::string* error) {
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);

  // The last '@' ends the userinfo: a password with a raw '@' still parses.
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (!parse_userinfo(authority.substr(0, at), url, error)) return false;
    authority = authority.substr(at + 1);
  }

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail(error, "missing ']' after IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail(error, "unexpected text after ']' (expected :port)");
      port_text = after.substr(1);
      if (port_text.empty()) return fail(error, "empty port after ':'");
    }
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos)
      return fail(error, "an IPv6 address must be written in brackets, e.g. redis://[::1]:6379");
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return fail(error, "empty port after ':'");
    }
  }
  if (url.host.empty()) return fail(error, "missing host (expected redis://host[:port][/db])");
  if (!port_text.empty()) {
    uint64_t port = 0;
    if (!parse_number(port_text, 1, 65535, port))
      return fail(error, "bad port '" + std::string(port_text) + "' (expected 1-65535)");
    url.port = static_cast<uint16_t>(port);
  }

  if (path.size() > 1) return parse_db(path.substr(1), url.db, error);
  return true;
}

bool parse_unix(std::string_view rest, RedisUrl& url, std::string* error) {
  // unix://[userinfo@]/path[?db=N]: the path starts at the first '/'.
  auto slash = rest.find('/');
  if (slash == std::string_view::npos)
    return fail(error, "missing socket path (expected unix:///path/to.sock[?db=N])");
  std::string_view authority = rest.substr(0, slash);
  if (!authority.empty()) {
    if (authority.back() != '@')
      return fail(error, "unexpected host in a unix:// URL (expected unix:///path/to.sock)");
    if (!parse_userinfo(authority.substr(0, authority.size() - 1), url, error)) return false;
  }
  std::string_view path = rest.substr(slash);
  auto question = path.find('?');
  if (question != std::string_view::npos) {
    std::string_view query = path.substr(question + 1);
    path = path.substr(0, question);
    if (query.substr(0, 3) != "db=")
      return fail(error, "unknown query '" + std::string(query) + "' (only ?db=N is known)");
    if (!parse_db(query.substr(3), url.db, error)) return false;
  }
  if (path.size() < 2) return fail(error, "empty socket path");
  url.transport = RedisUrl::Transport::unix_socket;
  url.socket_path = std::string(path);
  url.host.clear();
  return true;
}

}  // namespace

std::optional<RedisUrl> RedisUrl::parse(std::string_view text, std::string* error) {
  RedisUrl url;
  auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    fail(error,
         "not a Redis URL (expected redis://[user[:password]@]host[:port][/db] or "
         "unix:///path/to.sock[?db=N])");
    return std::nullopt;
  }
  std::string_view scheme = text.substr(0, sep);
  std::string_view rest = text.substr(sep + 3);
  bool ok = false;
  if (scheme == "redis") {
    ok = parse_tcp(rest, url, error);
  } else if (scheme == "unix") {
    ok = parse_unix(rest, url, error);
  } else if (scheme == "rediss") {
    fail(error,
         "rediss:// (TLS) is not supported: this build's hiredis has no TLS; run a TLS "
         "sidecar such as stunnel next to the bridge and give it redis:// to the "
         "sidecar's local port");
  } else {
    fail(error, "unknown URL scheme '" + std::string(scheme) + "' (expected redis or unix)");
  }
  if (!ok) return std::nullopt;
  return url;
}

std::string RedisUrl::masked() const {
  std::string out = transport == Transport::unix_socket ? "unix://" : "redis://";
  if (needs_auth()) {
    // Always ":***", even for an empty password: the rendered URL keeps
    // meaning "user and password" and says nothing about the secret.
    out += percent_encode(user) + ":***@";
  }
  if (transport == Transport::unix_socket) {
    out += socket_path;
    if (db != 0) out += "?db=" + std::to_string(db);
    return out;
  }
  if (host.find(':') != std::string::npos)
    out += "[" + host + "]";
  else
    out += host;
  out += ':' + std::to_string(port);
  if (db != 0) out += '/' + std::to_string(db);
  return out;
}

}  // namespace zrb
