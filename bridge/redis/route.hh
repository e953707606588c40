// Where each log path goes in Redis: a stream, a list, a pub/sub channel, or
// nowhere.
//
// The configuration names a default kind and a key template for every path,
// include/exclude lists, and per-path overrides written `PATH=KIND[:KEY]`
// (`dns=list:zeek:dns:list`, `weird=drop`, `notice=pubsub:zeek:notices`).
// Include and exclude decide *whether* a path is written (exclude wins; an
// empty include list includes every path); the default and the overrides
// decide *how*. Everything is validated once by Router::make, so resolving a
// path later cannot fail: a path is resolved the first time it is seen and
// its Route is cached, because the converter asks for every record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zrb {

enum class RouteKind { stream, list, pubsub, drop };

/// Parses "stream", "list", "pubsub", "drop".
bool parse_route_kind(std::string_view text, RouteKind& out);
/// The name parse_route_kind() accepts.
std::string_view route_kind_name(RouteKind kind);

struct RoutingConfig {
  /// How a path without an override is written.
  RouteKind default_kind = RouteKind::stream;
  /// Key (or channel) of a path; every `{path}` becomes the log path.
  std::string key_template = "zeek:{path}";
  /// Streams: XADD ... MAXLEN ~ N; 0 leaves streams untrimmed.
  uint64_t stream_maxlen = 1000000;
  /// Streams: the field that holds the JSON line.
  std::string stream_field = "json";
  /// Lists: LPUSH (newest first) if true, else RPUSH (newest last).
  bool list_left = true;
  /// Lists: keep only the newest N entries (LTRIM); 0 keeps all.
  uint64_t list_max = 0;
  /// Paths to write; empty: all.
  std::vector<std::string> include;
  /// Paths never written; wins over include and overrides.
  std::vector<std::string> exclude;
  /// `PATH=KIND[:KEY_TEMPLATE]`, one path each.
  std::vector<std::string> overrides;
};

/// How one path is written: everything command building needs, resolved.
struct Route {
  RouteKind kind = RouteKind::drop;
  /// The log path this route is for.
  std::string path;
  /// Stream or list key, or pub/sub channel; empty for drop.
  std::string key;
  /// Streams: field name, and MAXLEN as text ("" when untrimmed).
  std::string stream_field;
  std::string stream_maxlen;
  /// Lists: LPUSH or RPUSH.
  bool list_left = true;
  /// Lists: LTRIM range keeping the newest entries ("" when uncapped):
  /// "0".."N-1" after LPUSH, "-N".."-1" after RPUSH.
  std::string trim_start, trim_stop;

  /// Redis commands per record: 2 for a capped list (push + LTRIM), 0 for
  /// drop, else 1.
  size_t commands_per_record() const;
};

class Router {
 public:
  // --- constructors ---

  /// Validates `config`. On failure returns nullopt and stores a message
  /// naming the bad setting in `error`.
  static std::optional<Router> make(const RoutingConfig& config, std::string* error);

  // Moving keeps the cached routes (and references to them) valid; copying
  // would not, so there is none.
  Router(Router&& other) noexcept;
  Router& operator=(Router&& other) noexcept;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // --- resolution ---

  /// The route of `path`. The reference stays valid for the Router's life.
  /// Not thread-safe: one thread (the daemon's main loop) resolves.
  const Route& route(std::string_view path);

 private:
  struct Override {
    RouteKind kind;
    std::optional<std::string> key_template;
  };

  Router() = default;
  Route resolve(std::string_view path) const;

  RoutingConfig config_;
  std::unordered_map<std::string, Override> overrides_;
  // Node-based, so references to cached routes survive rehashing.
  std::unordered_map<std::string, Route> cache_;
  // Records come in batches of one path: most lookups hit the last route.
  const Route* last_ = nullptr;
};

}  // namespace zrb
