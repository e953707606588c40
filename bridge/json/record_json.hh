// The conversion step: one Zeek log record (the positional vector Zeek sends)
// and its stream's schema in, the JSON line Zeek's own JSON log writer would
// have written for it out, byte for byte, for the Zeek version named in the
// schema (docs/protocol.md, "Rendering").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "json/schema.hh"
#include "json/value.hh"

namespace zrb {

/// How `time` values are written, like Zeek's `LogAscii::json_timestamps`.
enum class TimeFormat {
  epoch,    ///< seconds since the epoch as a number (JSON::TS_EPOCH, the default)
  iso8601,  ///< "2011-03-18T19:06:08.853899Z" (JSON::TS_ISO8601)
  millis,   ///< whole milliseconds as a number (JSON::TS_MILLIS)
};

/// Parses "epoch", "iso8601" or "millis".
bool parse_time_format(std::string_view text, TimeFormat& out);

/// Name of a time format, the inverse of parse_time_format.
std::string_view to_string(TimeFormat tf);

/// Outcome of record_to_json; every failure is also a rejection reason.
enum class ConvertStatus { ok, schema_mismatch, too_deep, too_large, string_too_long };

/// "ok", "schema_mismatch", "too_deep", "too_large", "string_too_long".
std::string_view to_string(ConvertStatus status);

/// Bounds on what one record may cost.
struct ConvertLimits {
  /// Largest JSON text of one record.
  size_t max_record_bytes = 16 * 1024 * 1024;
  /// Deepest value: positions in a column's index, plus one for a container.
  size_t max_depth = 32;
  /// Longest string value (bytes before escaping), in a column or inside a
  /// container. Zeek truncates its own log strings far below this; a longer
  /// one is a peer that is not Zeek, refused before it is escaped.
  size_t max_string_bytes = 1024 * 1024;
};

/// Appends the JSON object for `record` (a positional record vector) under
/// `schema`, exactly as that Zeek version's JSON writer writes it, without a
/// trailing newline. On failure `out` is left as it was and `*why` (if given)
/// gets a one-line reason naming the column.
ConvertStatus record_to_json(const Vector& record, const LogSchema& schema, TimeFormat tf,
                             const ConvertLimits& limits, std::string& out, std::string* why);

}  // namespace zrb
