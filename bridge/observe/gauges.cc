#include "observe/gauges.hh"

#include <algorithm>

namespace zrb {

Gauges::Source::Source(Source&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), id_(other.id_) {}

Gauges::Source& Gauges::Source::operator=(Source&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->remove(id_);
    owner_ = std::exchange(other.owner_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

Gauges::Source::~Source() {
  if (owner_) owner_->remove(id_);
}

std::atomic<int64_t>& Gauges::get(const std::string& name, const std::string& label) {
  return stored_.get(name, label);
}

Gauges::Source Gauges::add_source(const std::string& name, const std::string& label,
                                  std::function<double()> read) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto id = next_id_++;
  sources_.emplace(id, Callback{name, label, std::move(read)});
  return Source(this, id);
}

void Gauges::remove(uint64_t id) {
  // Taking the lock waits for a scrape that is calling this source.
  std::lock_guard<std::mutex> guard(mutex_);
  sources_.erase(id);
}

std::vector<Gauges::Sample> Gauges::snapshot() const {
  std::vector<Sample> out;
  stored_.for_each([&out](const std::string& name, const std::string& label, int64_t value) {
    out.push_back({name, label, static_cast<double>(value)});
  });
  std::lock_guard<std::mutex> guard(mutex_);
  for (const auto& [id, cb] : sources_) out.push_back({cb.name, cb.label, cb.read()});
  std::sort(out.begin(), out.end(), [](const Sample& a, const Sample& b) {
    return std::tie(a.name, a.label) < std::tie(b.name, b.label);
  });
  return out;
}

Gauges& gauges() {
  static Gauges instance;
  return instance;
}

}  // namespace zrb
