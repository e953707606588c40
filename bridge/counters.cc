#include "counters.hh"

namespace zrb {

std::atomic<uint64_t>& Counters::get(const std::string& name, const std::string& label) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto key = std::make_pair(name, label);
  auto i = index_.find(key);
  if (i != index_.end()) return *i->second;
  auto& c = storage_.emplace_back(0);
  index_.emplace(std::move(key), &c);
  return c;
}

uint64_t Counters::value(const std::string& name, const std::string& label) const {
  std::lock_guard<std::mutex> guard(mutex_);
  auto i = index_.find(std::make_pair(name, label));
  return i == index_.end() ? 0 : i->second->load();
}

std::vector<std::pair<std::string, uint64_t>> Counters::snapshot() const {
  std::lock_guard<std::mutex> guard(mutex_);
  std::vector<std::pair<std::string, uint64_t>> out;
  for (auto& [key, c] : index_) {
    auto name = key.second.empty() ? key.first : key.first + "{" + key.second + "}";
    out.emplace_back(std::move(name), c->load());
  }
  return out;
}

Counters& counters() {
  static Counters instance;
  return instance;
}

}  // namespace zrb
