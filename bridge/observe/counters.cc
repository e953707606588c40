#include "observe/counters.hh"

namespace zrb {

std::atomic<uint64_t>& Counters::get(const std::string& name, const std::string& label) {
  return atoms_.get(name, label);
}

uint64_t Counters::value(const std::string& name, const std::string& label) const {
  return atoms_.value(name, label);
}

std::vector<std::pair<std::string, uint64_t>> Counters::snapshot() const {
  std::vector<std::pair<std::string, uint64_t>> out;
  atoms_.for_each([&](const std::string& name, const std::string& label, uint64_t v) {
    out.emplace_back(label.empty() ? name : name + "{" + label + "}", v);
  });
  return out;
}

std::vector<Counters::Entry> Counters::entries() const {
  std::vector<Entry> out;
  atoms_.for_each([&](const std::string& name, const std::string& label, uint64_t v) {
    out.push_back({name, label, v});
  });
  return out;
}

Counters& counters() {
  static Counters instance;
  return instance;
}

}  // namespace zrb
