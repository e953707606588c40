#include "redis/route.hh"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "observe/log.hh"

namespace zrb {

namespace {

constexpr std::string_view placeholder = "{path}";

bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

// Braces other than {path} are refused rather than kept literally: a typo
// such as {paht} would otherwise send every path to one key.
bool check_template(std::string_view text, std::string_view where, std::string* error) {
  if (text.empty()) return fail(error, std::string(where) + ": empty key template");
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      if (text.substr(i, placeholder.size()) != placeholder)
        return fail(error, std::string(where) + ": unknown placeholder in key template '" +
                               std::string(text) + "' (only {path} is known)");
      i += placeholder.size() - 1;
    } else if (text[i] == '}') {
      return fail(error, std::string(where) + ": unmatched '}' in key template '" +
                             std::string(text) + "'");
    }
  }
  return true;
}

std::string expand(std::string_view text, std::string_view path) {
  std::string out;
  size_t at = 0;
  for (auto hit = text.find(placeholder); hit != std::string_view::npos;
       hit = text.find(placeholder, at)) {
    out.append(text, at, hit - at);
    out.append(path);
    at = hit + placeholder.size();
  }
  out.append(text, at);
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view path) {
  return std::find(list.begin(), list.end(), path) != list.end();
}

}  // namespace

bool parse_route_kind(std::string_view text, RouteKind& out) {
  for (RouteKind kind : {RouteKind::stream, RouteKind::list, RouteKind::pubsub, RouteKind::drop})
    if (text == route_kind_name(kind)) {
      out = kind;
      return true;
    }
  return false;
}

std::string_view route_kind_name(RouteKind kind) {
  switch (kind) {
    case RouteKind::stream:
      return "stream";
    case RouteKind::list:
      return "list";
    case RouteKind::pubsub:
      return "pubsub";
    case RouteKind::drop:
      return "drop";
  }
  return "?";
}

size_t Route::commands_per_record() const {
  switch (kind) {
    case RouteKind::drop:
      return 0;
    case RouteKind::list:
      return trim_start.empty() ? 1 : 2;
    case RouteKind::stream:
    case RouteKind::pubsub:
      return 1;
  }
  return 0;
}

std::optional<Router> Router::make(const RoutingConfig& config, std::string* error) {
  constexpr uint64_t max_count = std::numeric_limits<int64_t>::max();  // Redis parses a long long
  if (!check_template(config.key_template, "key template", error)) return std::nullopt;
  if (config.stream_field.empty()) {
    fail(error, "stream field: must not be empty");
    return std::nullopt;
  }
  if (config.stream_maxlen > max_count || config.list_max > max_count) {
    fail(error, "stream maxlen and list max must be at most " + std::to_string(max_count));
    return std::nullopt;
  }
  for (const auto* list : {&config.include, &config.exclude})
    if (contains(*list, "")) {
      fail(error, std::string(list == &config.include ? "include" : "exclude") +
                      ": empty path in the list");
      return std::nullopt;
    }

  Router router;
  for (const std::string& text : config.overrides) {
    std::string where = "route override '" + text + "'";
    auto equals = text.find('=');
    if (equals == std::string::npos || equals == 0) {
      fail(error, where + ": expected PATH=KIND[:KEY_TEMPLATE], e.g. dns=list:zeek:dns:list");
      return std::nullopt;
    }
    std::string path = text.substr(0, equals);
    std::string_view rest = std::string_view(text).substr(equals + 1);
    auto colon = rest.find(':');
    Override entry{RouteKind::drop, std::nullopt};
    if (!parse_route_kind(rest.substr(0, colon), entry.kind)) {
      fail(error, where + ": unknown kind '" + std::string(rest.substr(0, colon)) +
                      "' (expected stream, list, pubsub or drop)");
      return std::nullopt;
    }
    if (colon != std::string_view::npos) {
      if (entry.kind == RouteKind::drop) {
        fail(error, where + ": drop takes no key");
        return std::nullopt;
      }
      entry.key_template = std::string(rest.substr(colon + 1));
      if (!check_template(*entry.key_template, where, error)) return std::nullopt;
    }
    if (!router.overrides_.emplace(path, std::move(entry)).second) {
      fail(error, where + ": a second override for path '" + path + "'");
      return std::nullopt;
    }
    // Legal but almost certainly not meant: say so once at startup.
    if (contains(config.exclude, path))
      log_warning("route override for '", path, "' has no effect: the path is excluded");
    else if (!config.include.empty() && !contains(config.include, path))
      log_warning("route override for '", path,
                  "' has no effect: the path is not in the include list");
  }
  router.config_ = config;
  return router;
}

Router::Router(Router&& other) noexcept
    : config_(std::move(other.config_)),
      overrides_(std::move(other.overrides_)),
      cache_(std::move(other.cache_)),
      last_(std::exchange(other.last_, nullptr)) {}

Router& Router::operator=(Router&& other) noexcept {
  config_ = std::move(other.config_);
  overrides_ = std::move(other.overrides_);
  cache_ = std::move(other.cache_);
  last_ = std::exchange(other.last_, nullptr);
  return *this;
}

const Route& Router::route(std::string_view path) {
  if (last_ != nullptr && last_->path == path) return *last_;
  std::string key(path);
  auto hit = cache_.find(key);
  if (hit == cache_.end()) hit = cache_.emplace(key, resolve(path)).first;
  last_ = &hit->second;
  return *last_;
}

Route Router::resolve(std::string_view path) const {
  Route route;
  route.path = std::string(path);
  bool wanted = !contains(config_.exclude, path) &&
                (config_.include.empty() || contains(config_.include, path));
  if (!wanted) return route;  // kind drop

  route.kind = config_.default_kind;
  std::string_view key_template = config_.key_template;
  if (auto found = overrides_.find(route.path); found != overrides_.end()) {
    route.kind = found->second.kind;
    if (found->second.key_template) key_template = *found->second.key_template;
  }
  if (route.kind == RouteKind::drop) return route;

  route.key = expand(key_template, path);
  route.stream_field = config_.stream_field;
  if (config_.stream_maxlen != 0) route.stream_maxlen = std::to_string(config_.stream_maxlen);
  route.list_left = config_.list_left;
  if (config_.list_max != 0) {
    auto n = std::to_string(config_.list_max);
    if (config_.list_left) {
      route.trim_start = "0";
      route.trim_stop = std::to_string(config_.list_max - 1);
    } else {
      route.trim_start = "-" + n;
      route.trim_stop = "-1";
    }
  }
  return route;
}

}  // namespace zrb
