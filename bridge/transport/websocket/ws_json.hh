// Zeek's WebSocket API, v1 JSON (`/v1/messages/json`) <-> the bridge's
// values. Part of the WebSocket transport; tests and the fuzzer use it
// directly.
//
// Every value travels as {"@data-type": T, "data": ...}. A Zeek event is a
// data message whose data is the vector [count 1, count 1, [name, args,
// (metadata)]], the same envelope as over Broker. Decoding is strict about
// shapes (a count must be a non-negative integer, a port "N/proto") and
// never trusts the input: nesting is bounded before recursion, and every
// failure is a reason and a short detail, never an exception.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json/value.hh"
#include "transport/transport.hh"

namespace zrb::ws {

/// What one message from the server turned out to be.
enum class MessageKind {
  event,    // a Zeek event: `event` is set
  ack,      // the answer to the subscription: `text` is "endpoint version"
  error,    // an error message from Zeek: `text` is "code: context"
  invalid,  // anything else: `reason` (a rejection reason) and `text` say why
};

struct Message {
  MessageKind kind = MessageKind::invalid;
  Event event;
  /// Rejection reason for `invalid`: ws_bad_json, ws_unknown_type,
  /// ws_bad_value, not_an_event, too_deep.
  std::string reason;
  std::string text;
};

/// Decodes one text message. Values nested deeper than `max_depth` are
/// refused (too_deep).
Message decode_message(std::string_view json, size_t max_depth);

/// Converts one {"@data-type", "data"} JSON value (text) to a Value; for
/// tests. False, with `why`, if it is not one.
bool decode_value_text(std::string_view json, size_t max_depth, Value& out, std::string& why);

/// The subscription message: a JSON array of topic prefixes.
std::string encode_subscription(const std::vector<std::string>& topics);

/// A data message carrying the Zeek event `name(args)` on `topic`.
std::string encode_event(std::string_view topic, std::string_view name, const Vector& args);

/// Appends the {"@data-type", "data"} form of `v` to `out`.
void append_value(std::string& out, const Value& v);

// --- the texts of single values, exposed for tests ---

/// "2023-11-14T22:13:20.123" (optional fraction of up to 9 digits, optional
/// "Z") as nanoseconds since the epoch.
bool parse_timestamp(std::string_view text, int64_t& ns);
/// "1500ms", "-3s", "7200s", "1500ns" (units ns, us, ms, s, min, h, d).
bool parse_timespan(std::string_view text, int64_t& ns);
/// "443/tcp", "53/udp", "8/icmp", "0/?".
bool parse_port(std::string_view text, Port& out);
/// A string that had raw bytes escaped as \u00XX, decoded to UTF-8 (each
/// code point U+0000..U+00FF two bytes or one), back to one byte per code
/// point: the bytes Zeek's string held.
std::string latin1_bytes(std::string_view s);
/// Whether *s* holds a byte below 0x20 or from 0x80 on (what Zeek writes raw
/// inside strings and JSON does not allow); a message without one is parsed
/// as it is.
bool has_raw_bytes(std::string_view s);
/// The inverse texts, as Broker writes them (timestamps to the nanosecond).
void append_timestamp(std::string& out, int64_t ns);
void append_port(std::string& out, const Port& p);

}  // namespace zrb::ws
