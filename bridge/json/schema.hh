// The schema of one log stream: which values of a record become which JSON
// fields, in what order, with what Zeek type. Sent by the Zeek scripts once
// per stream (docs/protocol.md, `log_schema`); the conversion step renders
// records with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zrb {

/// The Zeek types a log column can have.
enum class TypeTag : uint8_t {
  none,  // only as the element type of a non-container
  bool_,
  count,
  int_,
  double_,
  time,
  interval,
  string,
  addr,
  subnet,
  port,
  enum_,
  pattern,
  func,
  file,
  set,
  vector,
  table,
};

/// A column type: the tag, and for set/vector/table the element type.
struct ZeekType {
  TypeTag tag = TypeTag::none;
  TypeTag element = TypeTag::none;
  friend bool operator==(ZeekType x, ZeekType y) {
    return x.tag == y.tag && x.element == y.element;
  }
};

/// Parses a Zeek type name as `record_fields()` reports it ("count",
/// "set[string]", "vector of interval", "table[string] of count") and also
/// the TSV `#types` spelling ("vector[string]"). nullopt for anything else,
/// including container types whose elements are not atomic.
std::optional<ZeekType> parse_zeek_type(std::string_view name);

/// One column of a log line.
struct Column {
  /// Flattened field name, e.g. "id.orig_h".
  std::string name;
  ZeekType type;
  /// Positions from the top-level record vector down to the value.
  std::vector<uint32_t> index;
};

/// The schema of one log stream of one Zeek node.
struct LogSchema {
  std::string node;
  std::string path;
  /// Version::number of the sending Zeek, e.g. 30204 or 80010.
  uint64_t zeek_version = 0;
  std::vector<Column> columns;
};

}  // namespace zrb
