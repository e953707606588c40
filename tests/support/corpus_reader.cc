#include "support/corpus_reader.hh"

#include <arpa/inet.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "json/seconds.hh"

namespace zrb {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (;;) {
    const size_t end = s.find(sep, begin);
    parts.push_back(s.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes the ASCII writer's escapes: \xNN for a byte, \\ for a backslash.
std::string unescape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && hex_value(s[i + 2]) >= 0 &&
        hex_value(s[i + 3]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3])));
      i += 3;
    } else if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\\') {
      out.push_back('\\');
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The header value after "#name" and one separator character.
bool header_value(const std::string& line, const char* name, std::string& value) {
  const size_t n = std::strlen(name);
  if (line.compare(0, n, name) != 0 || line.size() <= n) return false;
  if (line[n] != '\t' && line[n] != ' ') return false;
  value = line.substr(n + 1);
  return true;
}

template <class Integer>
bool parse_integer(const std::string& s, Integer& out) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, out);
  return r.ec == std::errc() && r.ptr == end && !s.empty();
}

bool parse_double(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// Zeek's test baselines replace timestamps with X digits.
bool is_masked(const std::string& s) {
  return !s.empty() && s.find_first_not_of("X.") == std::string::npos;
}

bool parse_address(const std::string& s, Address& out) {
  if (s.find(':') == std::string::npos) {
    uint8_t b[4];
    if (inet_pton(AF_INET, s.c_str(), b) != 1) return false;
    out = Address::v4(b[0], b[1], b[2], b[3]);
    return true;
  }
  return inet_pton(AF_INET6, s.c_str(), out.bytes.data()) == 1;
}

bool parse_atomic(const std::string& text, TypeTag tag, const double* real,
                  const std::string& empty_field, Value& out) {
  switch (tag) {
    case TypeTag::bool_:
      if (text != "T" && text != "F") return false;
      out = text == "T";
      return true;
    case TypeTag::count: {
      uint64_t v;
      if (!parse_integer(text, v)) return false;
      out = v;
      return true;
    }
    case TypeTag::int_: {
      int64_t v;
      if (!parse_integer(text, v)) return false;
      out = v;
      return true;
    }
    case TypeTag::double_:
    case TypeTag::time:
    case TypeTag::interval: {
      double d = 0;
      if (real != nullptr)
        d = *real;
      else if (!(tag == TypeTag::time && is_masked(text)) && !parse_double(text, d))
        return false;
      if (tag == TypeTag::double_)
        out = d;
      else if (tag == TypeTag::time)
        out = Timestamp{ns_from_seconds(d)};
      else
        out = Timespan{ns_from_seconds(d)};
      return true;
    }
    case TypeTag::string:
    case TypeTag::pattern:
    case TypeTag::func:
    case TypeTag::file:
      out = text == empty_field ? std::string() : unescape(text);
      return true;
    case TypeTag::enum_:
      out = EnumValue{unescape(text)};
      return true;
    case TypeTag::addr: {
      Address a;
      if (!parse_address(text, a)) return false;
      out = a;
      return true;
    }
    case TypeTag::subnet: {
      const size_t slash = text.find('/');
      Subnet s;
      unsigned length = 0;
      if (slash == std::string::npos || !parse_address(text.substr(0, slash), s.network) ||
          !parse_integer(text.substr(slash + 1), length) || length > (s.network.is_v4() ? 32 : 128))
        return false;
      s.length = static_cast<uint8_t>(length);
      out = s;
      return true;
    }
    case TypeTag::port: {
      uint16_t number;
      if (!parse_integer(text, number)) return false;
      out = Port{number, Port::Protocol::unknown};
      return true;
    }
    default:
      return false;
  }
}

bool is_real(TypeTag tag) {
  return tag == TypeTag::double_ || tag == TypeTag::time || tag == TypeTag::interval;
}

bool parse_field(const TsvLog& log, const std::string& text, ZeekType type,
                 const std::vector<double>* reals, Value& out, std::string& why) {
  if (text == log.unset_field) {
    out = None{};
    return true;
  }
  const bool container = type.tag == TypeTag::set || type.tag == TypeTag::vector;
  const TypeTag tag = container ? type.element : type.tag;
  std::vector<std::string> parts;
  if (container) {
    if (text != log.empty_field) parts = split(text, log.set_separator);
  } else {
    parts.push_back(text);
  }
  if (reals && is_real(tag) && reals->size() != parts.size()) {
    why = "has " + std::to_string(parts.size()) + " values but " + std::to_string(reals->size()) +
          " exact ones were given";
    return false;
  }
  std::vector<Value> values(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (container && parts[i] == log.unset_field) continue;  // a hole: nil
    const double* real = reals && is_real(tag) ? &(*reals)[i] : nullptr;
    if (!parse_atomic(parts[i], tag, real, log.empty_field, values[i])) {
      why = "'" + parts[i] + "' is not a valid value of its type";
      return false;
    }
  }
  if (type.tag == TypeTag::set)
    out = Set{std::move(values)};
  else if (type.tag == TypeTag::vector)
    out = Vector(std::move(values));
  else
    out = std::move(values[0]);
  return true;
}

// Number of fields of each record, by the index path leading to it.
using Widths = std::map<std::vector<uint32_t>, uint32_t>;

Widths record_widths(const LogSchema& schema) {
  Widths widths;
  for (const Column& col : schema.columns) {
    std::vector<uint32_t> prefix;
    for (uint32_t pos : col.index) {
      auto& w = widths[prefix];
      if (pos + 1 > w) w = pos + 1;
      prefix.push_back(pos);
    }
  }
  return widths;
}

}  // namespace

bool read_tsv_log(const std::string& file, TsvLog& out, std::string* why) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (why) *why = "cannot open " + file;
    return false;
  }
  out = TsvLog{};
  std::string line, value;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line[0] == '#') {
      if (header_value(line, "#separator", value)) {
        const std::string sep = unescape(value);
        if (sep.size() == 1) out.separator = sep[0];
      } else if (header_value(line, "#set_separator", value)) {
        const std::string sep = unescape(value);
        if (sep.size() == 1) out.set_separator = sep[0];
      } else if (header_value(line, "#empty_field", value)) {
        out.empty_field = value;
      } else if (header_value(line, "#unset_field", value)) {
        out.unset_field = value;
      } else if (header_value(line, "#path", value)) {
        out.path = value;
      } else if (header_value(line, "#fields", value)) {
        out.fields = split(value, out.separator);
      } else if (header_value(line, "#types", value)) {
        out.types = split(value, out.separator);
      }
      continue;
    }
    if (out.fields.empty() || out.types.size() != out.fields.size()) {
      if (why) *why = file + ":" + std::to_string(number) + ": a row before #fields and #types";
      return false;
    }
    auto row = split(line, out.separator);
    if (row.size() != out.fields.size()) {
      if (why)
        *why = file + ":" + std::to_string(number) + ": " + std::to_string(row.size()) +
               " fields, expected " + std::to_string(out.fields.size());
      return false;
    }
    out.rows.push_back(std::move(row));
  }
  if (out.fields.empty() || out.types.size() != out.fields.size()) {
    if (why) *why = file + ": no #fields and #types of equal length";
    return false;
  }
  return true;
}

bool schema_from_tsv(const TsvLog& log, uint64_t zeek_version, LogSchema& out, std::string* why) {
  // A tree of names: each node's children in order of first mention.
  struct Node {
    std::string name;
    bool record = false;
    std::vector<Node> children;
  };
  Node root;
  root.record = true;
  out = LogSchema{};
  out.node = "zeek";
  out.path = log.path;
  out.zeek_version = zeek_version;
  for (size_t i = 0; i < log.fields.size(); ++i) {
    auto type = parse_zeek_type(log.types[i]);
    if (!type) {
      if (why) *why = "column '" + log.fields[i] + "' has unknown type '" + log.types[i] + "'";
      return false;
    }
    Column col;
    col.name = log.fields[i];
    col.type = *type;
    const auto parts = split(log.fields[i], '.');
    Node* node = &root;
    for (size_t level = 0; level < parts.size(); ++level) {
      const bool last = level + 1 == parts.size();
      uint32_t pos = 0;
      while (pos < node->children.size() && node->children[pos].name != parts[level]) ++pos;
      if (pos == node->children.size()) {
        node->children.push_back(Node{parts[level], !last, {}});
      } else if (last || !node->children[pos].record) {
        if (why) *why = "column '" + log.fields[i] + "' clashes with an earlier column";
        return false;
      }
      col.index.push_back(pos);
      node = &node->children[pos];
    }
    out.columns.push_back(std::move(col));
  }
  return true;
}

bool tsv_row_to_record(const TsvLog& log, const LogSchema& schema, size_t row,
                       const RowReals* reals, Vector& out, std::string* why) {
  if (row >= log.rows.size() || schema.columns.size() != log.rows[row].size()) {
    if (why) *why = "row " + std::to_string(row) + " does not fit the schema";
    return false;
  }
  const Widths widths = record_widths(schema);
  out.assign(widths.at({}), Value{});
  std::vector<uint32_t> prefix;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const Column& col = schema.columns[i];
    const std::vector<double>* exact =
        reals && i < reals->size() && (*reals)[i] ? &*(*reals)[i] : nullptr;
    Value value;
    std::string problem;
    if (!parse_field(log, log.rows[row][i], col.type, exact, value, problem)) {
      if (why) *why = "row " + std::to_string(row) + ", column '" + col.name + "': " + problem;
      return false;
    }
    if (value.is_none()) continue;  // records with nothing set stay unset
    Vector* fields = &out;
    prefix.clear();
    for (size_t level = 0; level + 1 < col.index.size(); ++level) {
      prefix.push_back(col.index[level]);
      Value& slot = (*fields)[col.index[level]];
      if (slot.is_none()) slot = Vector(widths.at(prefix));
      fields = slot.get_if<Vector>();
    }
    (*fields)[col.index.back()] = std::move(value);
  }
  return true;
}

}  // namespace zrb
