// How Zeek's JSON writer (src/threading/formatters/JSON.cc) builds a line,
// and how this file follows it:
//
//  * One object; for each log column in order, if the value is present,
//    the key (the flattened name, escaped by rapidjson only) and the value.
//    A column is absent when its value, or a record on the way to it, is
//    unset: Zeek's logging manager marks every column below an unset record
//    as not present.
//  * bool, int, count: JSON literals and integers; port: its number alone.
//  * double and interval: rapidjson's Writer::Double (zeek_double.hh);
//    time: the same, or ISO 8601 text, or milliseconds (zeek_time.hh).
//    Times and intervals arrive as nanoseconds and are first turned back
//    into the double Zeek had (seconds.hh).
//  * string, enum (its name), and Zeek's func/file texts: json_escape_utf8
//    then rapidjson (json_string.hh).
//  * addr, subnet: text (address_text.hh).
//  * set and vector: an array of the elements; an unset element (a hole in
//    a vector) is null.
// Everything is appended straight to the caller's buffer; nothing is
// allocated per value unless the record is rejected.
#include "json/record_json.hh"

#include <charconv>
#include <cstdint>
#include <iterator>
#include <limits>

#include "json/address_text.hh"
#include "json/dialect.hh"
#include "json/json_string.hh"
#include "json/seconds.hh"
#include "json/zeek_double.hh"
#include "json/zeek_time.hh"

namespace zrb {

namespace {

// Zeek writes null for a NaN or infinite time or interval. Broker carries
// both as integer nanoseconds, and Zeek's conversion of a non-finite double
// to them yields INT64_MIN on x86-64 (checked with the real Zeek 3.2.4 and
// 8.0.10: tests/zeek/test_zeek_nonfinite.py). That value, 292 years before
// 1970, is no real time or duration, so it is read back as "not finite".
constexpr int64_t non_finite_ns = std::numeric_limits<int64_t>::min();

template <class Integer>
void append_integer(std::string& out, Integer v) {
  char text[24];
  const auto r = std::to_chars(text, text + sizeof text, v);
  out.append(text, static_cast<size_t>(r.ptr - text));
}

// Per column type, in TypeTag's order: its Zeek name, and the Broker kind
// it arrives as in kind_name()'s words (for schema_mismatch reasons).
struct TagNames {
  std::string_view zeek;
  std::string_view wire;
};
constexpr TagNames tag_names[] = {
    {"none", "none"},      {"bool", "bool"},      {"count", "count"},       {"int", "int"},
    {"double", "real"},    {"time", "timestamp"}, {"interval", "timespan"}, {"string", "string"},
    {"addr", "address"},   {"subnet", "subnet"},  {"port", "port"},         {"enum", "enum"},
    {"pattern", "string"}, {"func", "string"},    {"file", "string"},       {"set", "set"},
    {"vector", "vector"},  {"table", "table"},
};
static_assert(std::size(tag_names) == static_cast<size_t>(TypeTag::table) + 1,
              "one entry per TypeTag");

std::string_view expected_kind(TypeTag tag) {
  return tag_names[static_cast<size_t>(tag)].wire;
}
std::string_view type_name(TypeTag tag) {
  return tag_names[static_cast<size_t>(tag)].zeek;
}

std::string type_text(ZeekType t) {
  std::string s(type_name(t.tag));
  if (t.tag == TypeTag::set || t.tag == TypeTag::vector || t.tag == TypeTag::table) {
    s += '[';
    s += type_name(t.element);
    s += ']';
  }
  return s;
}

// Why a column failed; the text is built only then.
struct Failure {
  ConvertStatus status = ConvertStatus::ok;
  const Value* value = nullptr;  // the offending value, if one
  std::string_view expected;     // kind expected, for a wrong kind
  std::string detail;            // anything else
};

class RecordWriter {
 public:
  RecordWriter(std::string& out, size_t start, const Dialect& dialect, TimeFormat tf,
               const ConvertLimits& limits)
      : out_(out), start_(start), dialect_(dialect), tf_(tf), limits_(limits) {}

  // Appends the column's key and value, or nothing for an unset value.
  bool column(const Vector& record, const Column& col, bool& first, Failure& f) {
    const bool container = col.type.tag == TypeTag::set || col.type.tag == TypeTag::vector ||
                           col.type.tag == TypeTag::table;
    if (col.index.size() + (container ? 1 : 0) > limits_.max_depth) {
      f.status = ConvertStatus::too_deep;
      f.detail = "nested " + std::to_string(col.index.size() + (container ? 1 : 0)) +
                 " levels deep, limit " + std::to_string(limits_.max_depth);
      return false;
    }
    const Value* value = find(record, col, f);
    if (f.status != ConvertStatus::ok) return false;
    if (value == nullptr) return true;  // unset: left out

    if (!first) out_.push_back(',');
    first = false;
    append_json_string(out_, col.name);
    out_.push_back(':');

    switch (col.type.tag) {
      case TypeTag::set: {
        const Set* set = value->get_if<Set>();
        if (set == nullptr) return wrong_kind(*value, TypeTag::set, f);
        return elements(set->elements, col.type.element, f);
      }
      case TypeTag::vector: {
        const Vector* vec = value->get_if<Vector>();
        if (vec == nullptr) return wrong_kind(*value, TypeTag::vector, f);
        return elements(*vec, col.type.element, f);
      }
      case TypeTag::table:
        // Zeek's logging framework refuses table columns ("unsupported
        // field type for log column"), so there is no line to imitate.
        f.status = ConvertStatus::schema_mismatch;
        f.detail = "a table cannot be written to a log";
        return false;
      default:
        return atomic(*value, col.type.tag, f) && fits(f);
    }
  }

 private:
  // Follows the column's index into the record. nullptr (with f.status ok)
  // when the value or a record on the way is unset.
  const Value* find(const Vector& record, const Column& col, Failure& f) {
    if (col.index.empty()) {
      f.status = ConvertStatus::schema_mismatch;
      f.detail = "empty index";
      return nullptr;
    }
    const Vector* fields = &record;
    for (size_t level = 0;; ++level) {
      const uint32_t pos = col.index[level];
      if (pos >= fields->size()) {
        f.status = ConvertStatus::schema_mismatch;
        f.detail = "position " + std::to_string(pos) + " at level " + std::to_string(level + 1) +
                   " of its index is beyond the record's " + std::to_string(fields->size()) +
                   " fields";
        return nullptr;
      }
      const Value& v = (*fields)[pos];
      if (v.is_none()) return nullptr;
      if (level + 1 == col.index.size()) return &v;
      fields = v.get_if<Vector>();
      if (fields == nullptr) {
        f.status = ConvertStatus::schema_mismatch;
        f.value = &v;
        f.expected = "record (vector)";
        f.detail = "at level " + std::to_string(level + 1) + " of its index";
        return nullptr;
      }
    }
  }

  bool elements(const std::vector<Value>& xs, TypeTag element, Failure& f) {
    out_.push_back('[');
    for (size_t i = 0; i < xs.size(); ++i) {
      if (i) out_.push_back(',');
      if (xs[i].is_none()) {
        out_.append("null", 4);
      } else if (!atomic(xs[i], element, f)) {
        f.detail += (f.detail.empty() ? "" : " ") + std::string("in element ") + std::to_string(i);
        return false;
      }
      if (!fits(f)) return false;
    }
    out_.push_back(']');
    return true;
  }

  bool atomic(const Value& v, TypeTag tag, Failure& f) {
    switch (tag) {
      case TypeTag::bool_:
        if (const bool* b = v.get_if<bool>()) {
          if (*b)
            out_.append("true", 4);
          else
            out_.append("false", 5);
          return true;
        }
        break;
      case TypeTag::count:
        if (const uint64_t* c = v.get_if<uint64_t>()) {
          append_integer(out_, *c);
          return true;
        }
        break;
      case TypeTag::int_:
        if (const int64_t* i = v.get_if<int64_t>()) {
          append_integer(out_, *i);
          return true;
        }
        break;
      case TypeTag::double_:
        if (const double* d = v.get_if<double>()) {
          append_zeek_double(out_, *d, dialect_.rounded_grisu);
          return true;
        }
        break;
      case TypeTag::time:
        if (const Timestamp* t = v.get_if<Timestamp>()) {
          if (t->ns == non_finite_ns)
            out_ += "null";
          else
            time(seconds_from_ns(t->ns));
          return true;
        }
        // Protocol 2 hands over the time as Zeek's exact double of seconds
        // (logs/exact_text.hh); it is always finite (the text's null keeps
        // the typed value).
        if (const double* d = v.get_if<double>()) {
          time(*d);
          return true;
        }
        break;
      case TypeTag::interval:
        if (const Timespan* t = v.get_if<Timespan>()) {
          if (t->ns == non_finite_ns)
            out_ += "null";
          else
            append_zeek_double(out_, interval_from_ns(t->ns), dialect_.rounded_grisu);
          return true;
        }
        // Protocol 2: Zeek's exact double of seconds (logs/exact_text.hh).
        if (const double* d = v.get_if<double>()) {
          append_zeek_double(out_, *d, dialect_.rounded_grisu);
          return true;
        }
        break;
      case TypeTag::string:
      case TypeTag::pattern:
      case TypeTag::func:
      case TypeTag::file:
        if (const std::string* s = v.get_if<std::string>()) return string(*s, f);
        break;
      case TypeTag::enum_:
        if (const EnumValue* e = v.get_if<EnumValue>()) return string(e->name, f);
        break;
      case TypeTag::addr:
        if (const Address* a = v.get_if<Address>()) {
          out_.push_back('"');
          append_address(out_, *a);
          out_.push_back('"');
          return true;
        }
        break;
      case TypeTag::subnet:
        if (const Subnet* s = v.get_if<Subnet>()) {
          out_.push_back('"');
          if (!append_subnet(out_, *s)) {
            f.status = ConvertStatus::schema_mismatch;
            f.value = &v;
            f.detail = "prefix length " + std::to_string(s->length) + " is too long";
            return false;
          }
          out_.push_back('"');
          return true;
        }
        break;
      case TypeTag::port:
        if (const Port* p = v.get_if<Port>()) {
          append_integer(out_, p->number);
          return true;
        }
        break;
      case TypeTag::set:
      case TypeTag::vector:
      case TypeTag::table:
      case TypeTag::none:
        break;
    }
    return wrong_kind(v, tag, f);
  }

  void time(double seconds) {
    switch (tf_) {
      case TimeFormat::epoch:
        append_zeek_double(out_, seconds, dialect_.rounded_grisu);
        return;
      case TimeFormat::iso8601:
        out_.push_back('"');
        append_iso8601(out_, seconds);
        out_.push_back('"');
        return;
      case TimeFormat::millis:
        append_millis(out_, seconds, dialect_.signed_millis);
        return;
    }
  }

  bool string(const std::string& s, Failure& f) {
    if (s.size() > limits_.max_string_bytes) {
      f.status = ConvertStatus::string_too_long;
      f.detail = "string of " + std::to_string(s.size()) + " bytes, limit " +
                 std::to_string(limits_.max_string_bytes);
      return false;
    }
    // The escaped text is at least as long as the bytes: refuse a string
    // that cannot fit before spending time on it.
    if (out_.size() - start_ + s.size() + 2 > limits_.max_record_bytes) return too_large(f);
    append_zeek_string(out_, s, dialect_.whole_string_escaping);
    return true;
  }

  bool fits(Failure& f) {
    // The closing brace still has to fit.
    if (out_.size() - start_ + 1 > limits_.max_record_bytes) return too_large(f);
    return true;
  }

  bool too_large(Failure& f) {
    f.status = ConvertStatus::too_large;
    f.detail = "JSON longer than " + std::to_string(limits_.max_record_bytes) + " bytes";
    return false;
  }

  bool wrong_kind(const Value& v, TypeTag tag, Failure& f) {
    f.status = ConvertStatus::schema_mismatch;
    f.value = &v;
    f.expected = expected_kind(tag);
    return false;
  }

  std::string& out_;
  const size_t start_;
  const Dialect dialect_;
  const TimeFormat tf_;
  const ConvertLimits& limits_;
};

std::string explain(const Column& col, const Failure& f) {
  std::string why = "column '" + col.name + "' (" + type_text(col.type) + "): ";
  if (!f.expected.empty()) {
    why += "expected ";
    why += f.expected;
    why += ", got ";
    why += kind_name(*f.value);
    why += ' ';
    why += describe(*f.value, 60);
    if (!f.detail.empty()) why += ' ';
  } else if (f.value != nullptr) {
    why += describe(*f.value, 60);
    why += ": ";
  }
  why += f.detail;
  return why;
}

}  // namespace

bool parse_time_format(std::string_view text, TimeFormat& out) {
  if (text == "epoch") {
    out = TimeFormat::epoch;
  } else if (text == "iso8601") {
    out = TimeFormat::iso8601;
  } else if (text == "millis") {
    out = TimeFormat::millis;
  } else {
    return false;
  }
  return true;
}

std::string_view to_string(TimeFormat tf) {
  switch (tf) {
    case TimeFormat::epoch:
      return "epoch";
    case TimeFormat::iso8601:
      return "iso8601";
    case TimeFormat::millis:
      return "millis";
  }
  return "epoch";
}

std::string_view to_string(ConvertStatus status) {
  switch (status) {
    case ConvertStatus::ok:
      return "ok";
    case ConvertStatus::schema_mismatch:
      return "schema_mismatch";
    case ConvertStatus::too_deep:
      return "too_deep";
    case ConvertStatus::too_large:
      return "too_large";
    case ConvertStatus::string_too_long:
      return "string_too_long";
  }
  return "ok";
}

ConvertStatus record_to_json(const Vector& record, const LogSchema& schema, TimeFormat tf,
                             const ConvertLimits& limits, std::string& out, std::string* why) {
  const size_t start = out.size();
  RecordWriter writer(out, start, dialect_for(schema.zeek_version), tf, limits);
  out.push_back('{');
  bool first = true;
  for (const Column& col : schema.columns) {
    Failure f;
    if (!writer.column(record, col, first, f)) {
      out.resize(start);
      if (why) *why = explain(col, f);
      return f.status;
    }
  }
  out.push_back('}');
  if (out.size() - start > limits.max_record_bytes) {
    out.resize(start);
    if (why) *why = "JSON longer than " + std::to_string(limits.max_record_bytes) + " bytes";
    return ConvertStatus::too_large;
  }
  return ConvertStatus::ok;
}

}  // namespace zrb
