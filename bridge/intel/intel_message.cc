#include "intel/intel_message.hh"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <optional>

#include "json/ip_text.hh"

namespace zrb {

namespace {

using json = nlohmann::json;

constexpr std::string_view type_prefix = "Intel::";

// Every value of Intel::Type. Zeek 3.0 to 8.2 define the same eleven, all
// in base/frameworks/intel (main.zeek, and files.zeek for FILE_HASH and
// FILE_NAME); the policy/frameworks/intel/seen scripts add only
// Intel::Where values. Types that packages add (JA3 hashes, say) are not
// known here, and are refused as unknown_type.
constexpr std::array<std::string_view, 11> intel_types{
    "ADDR",      "SUBNET",    "URL",         "SOFTWARE",  "EMAIL",    "DOMAIN",
    "USER_NAME", "CERT_HASH", "PUBKEY_HASH", "FILE_HASH", "FILE_NAME"};

// A producer's text quoted in a detail: enough to recognise it, never the
// whole of a long value.
constexpr size_t quoted_max_bytes = 64;

// What was wrong with an item, before the item's text is added.
struct Failure {
  std::string_view reason;
  std::string detail;
};

// Appends `text` as printable ASCII, stopping before `out` would exceed
// max_bytes; returns how many bytes of `text` went in. A detail goes into
// log lines, which a newline or terminal escape in a producer's value must
// not break.
size_t append_printable(std::string& out, std::string_view text, size_t max_bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  size_t taken = 0;
  for (unsigned char c : text) {
    const bool plain = c >= 0x20 && c < 0x7f;
    const bool escaped = c == '"' || c == '\\';
    const size_t need = plain ? (escaped ? 2 : 1) : 4;
    if (out.size() + need > max_bytes) break;
    if (plain) {
      if (escaped) out += '\\';
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
    ++taken;
  }
  return taken;
}

// "text" in quotes, cut and marked as cut beyond quoted_max_bytes.
std::string quote(std::string_view text) {
  std::string out = "\"";
  const size_t taken = append_printable(out, text, quoted_max_bytes + 1);
  out += '"';
  if (taken < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

// The detail as the header promises it: one line, bounded. Details are
// built from fixed text and quote(), so this cut only guards the promise.
std::string bounded_detail(std::string detail) {
  if (detail.size() > intel_detail_max_bytes) detail.resize(intel_detail_max_bytes);
  return detail;
}

// At most intel_item_max_bytes of `text`, cut before a UTF-8 character
// rather than inside one (for text that is not UTF-8, at most 3 bytes
// earlier than the limit).
std::string cut_item(std::string_view text) {
  size_t end = std::min(text.size(), intel_item_max_bytes);
  for (int back = 0; back < 3 && end > 0 && end < text.size() &&
                     (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80;
       ++back)
    --end;
  return std::string(text.substr(0, end));
}

const char* article(const json& v) {
  return v.is_object() || v.is_array() ? "an " : "a ";
}

Failure missing(std::string_view field) {
  return {"missing_field", "no " + std::string(field)};
}

Failure wrong_type(std::string_view field, const json& v, std::string_view wanted) {
  return {"wrong_type", std::string(field) + " is " + article(v) + v.type_name() + ", not " +
                            std::string(wanted)};
}

// A member, or nullptr when it is absent or null.
const json* member(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

// An optional string member into `out`; a failure if it is not a string.
std::optional<Failure> optional_string(const json& meta, const char* name, std::string_view field,
                                       std::string& out) {
  const json* v = member(meta, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) return wrong_type(field, *v, "a string");
  out = v->get_ref<const std::string&>();
  return std::nullopt;
}

std::optional<Failure> read_action(const json& item, IntelUpdate& u) {
  const json* v = member(item, "action");
  if (!v) return std::nullopt;  // add, the default
  if (!v->is_string()) return wrong_type("action", *v, "a string");
  const auto& action = v->get_ref<const std::string&>();
  if (action == "add") {
    u.action = IntelAction::add;
  } else if (action == "remove") {
    u.action = IntelAction::remove;
  } else {
    return Failure{"unknown_action",
                   "action " + quote(action) + " is neither \"add\" nor \"remove\""};
  }
  return std::nullopt;
}

std::optional<Failure> read_type(const json& item, IntelUpdate& u) {
  const json* v = member(item, "type");
  if (!v) return missing("type");
  if (!v->is_string()) return wrong_type("type", *v, "a string");
  const auto& text = v->get_ref<const std::string&>();
  std::string_view name = text;
  if (name.substr(0, type_prefix.size()) == type_prefix) name.remove_prefix(type_prefix.size());
  if (!is_intel_type(name))
    return Failure{"unknown_type", "type " + quote(text) + " is not an Intel::Type name"};
  u.type = std::string(type_prefix) + std::string(name);
  return std::nullopt;
}

// After read_type: how the indicator is read depends on the type.
std::optional<Failure> read_indicator(const json& item, const IntelLimits& limits, IntelUpdate& u) {
  const json* v = member(item, "indicator");
  if (!v) return missing("indicator");
  if (!v->is_string()) return wrong_type("indicator", *v, "a string");
  const auto& text = v->get_ref<const std::string&>();
  if (text.empty()) return Failure{"empty_indicator", "indicator is empty"};
  if (text.size() > limits.max_indicator_bytes)
    return Failure{"empty_indicator", "indicator of " + std::to_string(text.size()) +
                                          " bytes is longer than the limit of " +
                                          std::to_string(limits.max_indicator_bytes)};
  if (u.type == "Intel::ADDR") {
    Address a;
    if (!parse_address(text, a))
      return Failure{"bad_address",
                     "indicator " + quote(text) + " of type ADDR is not an IPv4 or IPv6 address"};
    u.indicator = a;
  } else if (u.type == "Intel::SUBNET") {
    Subnet s;
    if (!parse_subnet(text, s))
      return Failure{"bad_subnet", "indicator " + quote(text) +
                                       " of type SUBNET is not net/len with a valid length"};
    u.indicator = s;
  } else {
    u.indicator = text;
  }
  return std::nullopt;
}

// After read_action: an expiry only makes sense for an add.
std::optional<Failure> read_expire(const json& meta, IntelUpdate& u) {
  const json* v = member(meta, "expire");
  if (!v) return std::nullopt;
  if (u.action == IntelAction::remove)
    return Failure{"bad_expire", "meta.expire is given with action \"remove\""};
  if (!v->is_number()) return wrong_type("meta.expire", *v, "a number");
  const double seconds = v->get<double>();
  // Below a nanosecond the interval would reach Zeek as 0, which means
  // never: the opposite of what was asked.
  if (!(std::isfinite(seconds) && seconds * 1e9 >= 1 && seconds <= intel_max_expire_seconds)) {
    char text[64];
    std::snprintf(text, sizeof text, "%.17g", seconds);
    return Failure{"bad_expire", "meta.expire " + std::string(text) +
                                     " is not a number of seconds from 1e-9 to 9223372036"};
  }
  u.expire = seconds;
  return std::nullopt;
}

std::optional<Failure> read_meta(const json& item, IntelUpdate& u) {
  const json* meta = member(item, "meta");
  if (!meta) return missing("meta.source");
  if (!meta->is_object()) return wrong_type("meta", *meta, "an object");
  const json* source = member(*meta, "source");
  if (!source) return missing("meta.source");
  if (!source->is_string()) return wrong_type("meta.source", *source, "a string");
  // Zeek keeps meta data per source: an empty one names nobody.
  if (source->get_ref<const std::string&>().empty())
    return Failure{"missing_field", "meta.source is empty"};
  u.source = source->get_ref<const std::string&>();
  if (auto f = optional_string(*meta, "desc", "meta.desc", u.desc)) return f;
  if (auto f = optional_string(*meta, "url", "meta.url", u.url)) return f;
  return read_expire(*meta, u);
}

// The checks in the order of docs/protocol.md's field table, so the first
// problem of an item is the one reported.
std::optional<Failure> read_item(const json& item, const IntelLimits& limits, IntelUpdate& u) {
  if (!item.is_object())
    return Failure{"not_an_object",
                   std::string("item is ") + article(item) + item.type_name() + ", not an object"};
  if (auto f = read_action(item, u)) return f;
  if (auto f = read_type(item, u)) return f;
  if (auto f = read_indicator(item, limits, u)) return f;
  return read_meta(item, u);
}

void add_item(const json& item, const IntelLimits& limits, IntelParse& out) {
  IntelUpdate u;
  auto failure = read_item(item, limits, u);
  if (!failure) {
    out.updates.push_back(std::move(u));
    return;
  }
  // Strings were checked as UTF-8 while parsing, so dump() cannot throw;
  // replace is the non-throwing handler regardless.
  const auto text = item.dump(-1, ' ', false, json::error_handler_t::replace);
  out.rejections.push_back(IntelRejection{
      std::string(failure->reason), bounded_detail(std::move(failure->detail)), cut_item(text)});
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string parse_error_text(std::string_view what) {
  if (what.substr(0, 1) == "[") {
    const auto end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  std::string out = "not JSON: ";
  append_printable(out, what, intel_detail_max_bytes);
  return out;
}

// A SAX handler that builds nothing: it checks the syntax (and UTF-8) and
// stops at the first container nested deeper than the limit, before the
// real parse builds any value.
class DepthCheck {
 public:
  explicit DepthCheck(size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool key(json::string_t&) { return true; }
  bool start_object(size_t) { return enter(); }
  bool end_object() { return leave(); }
  bool start_array(size_t) { return enter(); }
  bool end_array() { return leave(); }
  bool parse_error(size_t, const std::string&, const json::exception& e) {
    error_ = parse_error_text(e.what());
    return false;
  }

  /// Empty if the text is JSON within the depth limit, else a detail saying
  /// why not.
  const std::string& error() const { return error_; }

 private:
  bool enter() {
    if (++depth_ <= max_depth_) return true;
    error_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
    return false;
  }
  bool leave() {
    --depth_;
    return true;
  }

  size_t max_depth_;
  size_t depth_ = 0;
  std::string error_;
};

void reject_message(std::string_view reason, std::string detail, std::string_view payload,
                    IntelParse& out) {
  out.rejections.push_back(
      IntelRejection{std::string(reason), bounded_detail(std::move(detail)), cut_item(payload)});
}

}  // namespace

bool is_intel_type(std::string_view name_without_prefix) {
  for (auto name : intel_types)
    if (name == name_without_prefix) return true;
  return false;
}

IntelParse parse_intel_message(std::string_view payload, const IntelLimits& limits) {
  IntelParse out;
  if (payload.size() > limits.max_message_bytes) {
    reject_message("too_large",
                   "message of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                       std::to_string(limits.max_message_bytes),
                   payload, out);
    return out;
  }
  // Checked in a pass of its own because nlohmann's DOM parser has no depth
  // limit; both passes are linear, over at most max_message_bytes.
  DepthCheck check(limits.max_depth);
  try {
    json::sax_parse(payload.begin(), payload.end(), &check);
  } catch (const json::exception& e) {
    // The handler never throws, so neither should the SAX parser; kept so
    // that "never throws" does not rest on a library's internals.
    reject_message("invalid_json", parse_error_text(e.what()), payload, out);
    return out;
  }
  if (!check.error().empty()) {
    reject_message("invalid_json", check.error(), payload, out);
    return out;
  }
  const json doc = json::parse(payload.begin(), payload.end(), nullptr, false);
  if (doc.is_discarded()) {  // cannot happen after the check; never trust it blindly
    reject_message("invalid_json", "not JSON", payload, out);
    return out;
  }

  if (!doc.is_array()) {
    add_item(doc, limits, out);
    return out;
  }
  if (doc.size() > limits.max_batch) {
    reject_message("too_many",
                   "batch of " + std::to_string(doc.size()) + " items exceeds the limit of " +
                       std::to_string(limits.max_batch),
                   payload, out);
    return out;
  }
  out.updates.reserve(doc.size());
  for (const auto& item : doc) add_item(item, limits, out);
  return out;
}

}  // namespace zrb
