// Threat intelligence as producers put it on Redis (docs/protocol.md,
// "Redis to Zeek" -> "Threat intelligence"): a JSON object or an array of
// them, checked field by field and turned into typed updates for Zeek, or
// into rejections that tell the producer what was wrong.
//
// Parsing is a pure function: it neither logs nor counts (the caller does,
// once per rejection) and it holds no state between messages. A message is
// bounded before it is parsed (size, then nesting depth), so no input can
// make it take more than memory proportional to the size limit, nor
// recurse: nlohmann's parser is iterative, but its printer and copies
// recurse, and an item that is rejected is printed back.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "json/value.hh"

namespace zrb {

enum class IntelAction { add, remove };

/// One valid indicator, typed as it will travel to Zeek.
struct IntelUpdate {
  IntelAction action = IntelAction::add;
  /// Full Zeek enum name, e.g. "Intel::ADDR".
  std::string type;
  /// Address for ADDR, Subnet (host bits masked) for SUBNET, std::string otherwise.
  Value indicator;
  /// meta.source (never empty), meta.desc and meta.url (empty: not given).
  std::string source, desc, url;
  /// Seconds; 0 = never. Otherwise from 1e-9 to intel_max_expire_seconds, so
  /// that it is at least one nanosecond and its nanoseconds fit an int64.
  double expire = 0;
};

/// One rejected item (or the whole message).
struct IntelRejection {
  /// A reason of docs/protocol.md, without the "intel_" prefix.
  std::string reason;
  /// One line of printable ASCII naming the field and what was wrong, at
  /// most intel_detail_max_bytes.
  std::string detail;
  /// The offending JSON text, at most intel_item_max_bytes: the message as
  /// received for a rejection of the whole message (then it may hold bytes
  /// that are not UTF-8), the item as re-printed by the parser for one item
  /// of a batch (then it is UTF-8, and a cut never splits a character).
  std::string item;
};

/// What one message may cost.
struct IntelLimits {
  /// Longest message (too_large), checked before parsing.
  size_t max_message_bytes = 1 << 20;
  /// Most items in a batch (too_many).
  size_t max_batch = 10000;
  /// Longest indicator (empty_indicator).
  size_t max_indicator_bytes = 4096;
  /// Deepest nesting of arrays and objects; a batch of items with meta needs
  /// 3, and unknown fields may nest a little. Deeper is invalid_json for the
  /// whole message, found before any value is built.
  size_t max_depth = 32;
};

/// Longest `item` of a rejection.
inline constexpr size_t intel_item_max_bytes = 4096;
/// Longest `detail` of a rejection.
inline constexpr size_t intel_detail_max_bytes = 256;
/// Largest meta.expire: Broker carries the interval as int64 nanoseconds.
inline constexpr double intel_max_expire_seconds = 9223372036.0;

/// The result of one message: its valid items in message order, and one
/// rejection per bad item (or a single one for the whole message).
struct IntelParse {
  std::vector<IntelUpdate> updates;
  std::vector<IntelRejection> rejections;
};

/// Parses one message. Never throws (short of running out of memory); the
/// valid items of a batch are kept in order. Fields the protocol does not
/// name are ignored, and a field that is JSON null counts as absent.
IntelParse parse_intel_message(std::string_view payload, const IntelLimits& limits);

/// True for a name of Zeek's Intel::Type enum, without the "Intel::"
/// prefix ("ADDR", "FILE_HASH"). Case matters, as in Zeek.
bool is_intel_type(std::string_view name_without_prefix);

}  // namespace zrb
