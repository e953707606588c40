#include "logs/exact_text.hh"

#include <simdjson.h>

#include <cstring>

namespace zrb {

namespace {

using simdjson::dom::element;

bool is_exact_type(TypeTag t) {
  return t == TypeTag::double_ || t == TypeTag::time || t == TypeTag::interval;
}

// The value at `index` in `record`, or nullptr where an enclosing record is
// unset (then the column is not written, and the text has nothing either).
Value* leaf(Vector& record, const std::vector<uint32_t>& index) {
  Vector* at = &record;
  for (size_t i = 0; i < index.size(); ++i) {
    if (index[i] >= at->size()) return nullptr;
    Value& v = (*at)[index[i]];
    if (i + 1 == index.size()) return &v;
    at = v.get_if<Vector>();
    if (at == nullptr) return nullptr;
  }
  return nullptr;
}

// One number (or null) of the text as a value: null stays nil, which the
// caller treats as "keep the typed value". For an interval a string is
// that too: to_json before Zeek 7.1 writes intervals as text ("1.0 msec"),
// and the typed timespan is right to the nanosecond.
bool number(element e, bool interval, Value& out) {
  if (e.is_null() || (interval && e.is_string())) return out = None{}, true;
  double d;
  if (e.get_double().get(d)) return false;
  out = d;
  return true;
}

// A double or time: the text's number replaces the typed value; the text's
// null (Zeek writes null for NaN and infinities) keeps it, so the renderer
// writes null from the typed value as over Broker.
bool scalar(element e, bool interval, Value& v) {
  Value n;
  if (!number(e, interval, n)) return false;
  if (!n.is_none()) v = std::move(n);
  return true;
}

bool elements(element e, bool interval, std::vector<Value>& xs) {
  simdjson::dom::array a;
  if (e.get_array().get(a) || a.size() != xs.size()) return false;
  size_t i = 0;
  for (element x : a) {
    Value n;
    if (!number(x, interval, n)) return false;
    if (!n.is_none() || xs[i].is_none()) xs[i] = std::move(n);
    ++i;
  }
  return true;
}

bool column(element object, const Column& col, const ExactColumn& ec, Vector& record,
            std::string& error) {
  Value* v = leaf(record, col.index);
  if (v == nullptr || v->is_none()) return true;  // not written: nothing to take
  element e = object;
  for (const auto& key : ec.keys) {
    if (e.at_key(key).get(e)) {
      error = "the text has no value for column " + col.name;
      return false;
    }
  }
  const bool interval = col.type.tag == TypeTag::interval || col.type.element == TypeTag::interval;
  bool ok;
  if (auto vec = v->get_if<Vector>())
    ok = elements(e, interval, *vec);
  else if (auto set = v->get_if<Set>())
    ok = elements(e, interval, set->elements);
  else
    ok = scalar(e, interval, *v);
  if (!ok) error = "the text's value for column " + col.name + " does not match the record's";
  return ok;
}

// The parser and a padded copy of the text, reused per thread: simdjson
// reads up to SIMDJSON_PADDING bytes past the end of its input.
struct Parser {
  simdjson::dom::parser parser;
  std::string buffer;
};

}  // namespace

std::vector<ExactColumn> exact_columns(const LogSchema& schema) {
  std::vector<ExactColumn> out;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const auto& t = schema.columns[i].type;
    bool container = t.tag == TypeTag::set || t.tag == TypeTag::vector;
    if (!is_exact_type(t.tag) && !(container && is_exact_type(t.element))) continue;
    ExactColumn ec;
    ec.column = i;
    // A Zeek field name has no '.', so the flattened name splits into the
    // keys of to_json's nested objects.
    std::string_view name = schema.columns[i].name;
    for (size_t dot; (dot = name.find('.')) != std::string_view::npos; name.remove_prefix(dot + 1))
      ec.keys.emplace_back(name.substr(0, dot));
    ec.keys.emplace_back(name);
    out.push_back(std::move(ec));
  }
  return out;
}

bool apply_exact_text(std::string_view text, const LogSchema& schema,
                      const std::vector<ExactColumn>& columns, Vector& records,
                      std::vector<std::string>& record_errors, std::string& why) {
  record_errors.assign(records.size(), std::string());
  thread_local Parser p;
  p.buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
  if (!text.empty()) std::memcpy(p.buffer.data(), text.data(), text.size());
  element doc;
  if (auto err = p.parser.parse(p.buffer.data(), text.size(), false).get(doc)) {
    why = std::string("the text is not JSON: ") + simdjson::error_message(err);
    return false;
  }
  simdjson::dom::array objects;
  if (doc.get_array().get(objects) || objects.size() != records.size()) {
    why = "the text is not an array of " + std::to_string(records.size()) + " records";
    return false;
  }
  size_t i = 0;
  for (element object : objects) {
    auto record = records[i].get_if<Vector>();
    if (record != nullptr && object.is_object()) {
      for (const auto& ec : columns)
        if (!column(object, schema.columns[ec.column], ec, *record, record_errors[i])) break;
    } else if (record != nullptr) {
      record_errors[i] = "its text is not an object";
    }
    ++i;
  }
  return true;
}

}  // namespace zrb
