// Zeek's TSV logs (the ASCII writer's default format) turned into what a
// Zeek node would send the bridge for them: a schema and positional record
// vectors. The corpus test renders these and compares with the JSON that
// Zeek wrote for the same records; tools that replay logs can use it too.
//
// The TSV header names every column and its type (`#fields`, `#types`);
// flattened names become nested records again, split at each '.', in the
// order the columns first mention them, so `id.orig_h` ... `id.resp_p`
// become one `id` record of four values, as Zeek's conn_id is.
//
// The TSV prints doubles, times and intervals with six decimals, which is
// not the value Zeek held. A caller that has the exact values (from Zeek's
// JSON line for the same record) passes them in; a time or interval is then
// sent the way Zeek sends it, as trunc(seconds * 1e9) nanoseconds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "json/schema.hh"
#include "json/value.hh"

namespace zrb {

/// One TSV log file as read: header values and the fields of each row.
struct TsvLog {
  std::string path;                            ///< #path
  std::vector<std::string> fields;             ///< #fields
  std::vector<std::string> types;              ///< #types
  std::vector<std::vector<std::string>> rows;  ///< each row's field texts, unescaped later
  char separator = '\t';                       ///< #separator
  char set_separator = ',';                    ///< #set_separator
  std::string empty_field = "(empty)";         ///< #empty_field
  std::string unset_field = "-";               ///< #unset_field
};

/// Reads a TSV log. False, with a reason in `*why`, if the file cannot be
/// read, lacks #fields or #types, or has a row of the wrong width.
bool read_tsv_log(const std::string& file, TsvLog& out, std::string* why);

/// The schema a Zeek node would send for `log`. False, with a reason, for
/// an unknown type or a name that is both a field and a record.
bool schema_from_tsv(const TsvLog& log, uint64_t zeek_version, LogSchema& out, std::string* why);

/// Exact values for a row's double, time and interval columns: for column
/// i (in #fields order) the doubles of its value, one per element for a
/// container. nullopt: take the TSV text.
using RowReals = std::vector<std::optional<std::vector<double>>>;

/// Builds the record vector for row `row` of `log` under `schema` (made by
/// schema_from_tsv). `reals` may be null. A nested record whose fields are
/// all unset is sent unset. Times masked in Zeek's test baselines
/// ("XXXXXXXXXX.XXXXXX") become 0. False, with a reason, for a field text
/// that does not parse as its type.
bool tsv_row_to_record(const TsvLog& log, const LogSchema& schema, size_t row,
                       const RowReals* reals, Vector& out, std::string* why);

}  // namespace zrb
