// Protocol 2 (docs/protocol.md, "Protocol version 2"): over Zeek's WebSocket
// API a double arrives with 6 decimals and a time cut to milliseconds, so
// log_batch2 also carries Zeek's own `to_json` text of the batch, whose
// doubles and times (and, from Zeek 7.1 on, intervals) have exactly the
// digits of Zeek's log writer. This puts those exact values into the typed
// records before they are rendered; every other type keeps its typed value
// (to_json's strings are ambiguous, its ports have another form).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json/schema.hh"
#include "json/value.hh"

namespace zrb {

/// A column whose values come from the text: its position in the schema and
/// the keys leading to it in to_json's nested objects ("id.orig_h" ->
/// ["id", "orig_h"]).
struct ExactColumn {
  size_t column = 0;
  std::vector<std::string> keys;
};

/// The columns of `schema` of type double, time or interval, or a set or
/// vector of them; computed once per schema.
std::vector<ExactColumn> exact_columns(const LogSchema& schema);

/// Replaces, in each of `records`, the values of `columns` by the numbers of
/// `text` (a JSON array holding one object per record, in order): a double,
/// time or interval becomes the double the text names (an interval given as
/// text, before Zeek 7.1, keeps its typed value), a set or vector of them the
/// text's array (in the text's order, which is Zeek's). False, with `why`, if
/// the text as a whole cannot be used (not such an array); otherwise
/// `record_errors[i]` is empty for a record that was completed and says why
/// for one that was not (its text lacks a value the record has).
bool apply_exact_text(std::string_view text, const LogSchema& schema,
                      const std::vector<ExactColumn>& columns, Vector& records,
                      std::vector<std::string>& record_errors, std::string& why);

}  // namespace zrb
