#include "redis/spool.hh"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "observe/counters.hh"
#include "observe/log.hh"

namespace zrb {

namespace {

constexpr uint32_t state_pending = 0x5A524250;  // "ZRBP"
constexpr uint32_t state_done = 0x5A524244;     // "ZRBD"
constexpr size_t header_size = 12;
// Larger than any batch the writer makes (batch_max_bytes is a few MB): a
// length past it is a damaged header, not an entry.
constexpr uint32_t max_payload = 1u << 30;
// Segment numbers start high so that prepend() has room below them.
constexpr uint64_t first_segment = 1000000000000ull;

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

// Payload encoding, in host byte order: a spool is read back by the machine
// that wrote it.
template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

void put_string(std::string& out, const std::string& s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out += s;
}

class Reader {
 public:
  explicit Reader(const std::string& data) : data_(data) {}
  template <typename T>
  bool get(T& value) {
    if (data_.size() - pos_ < sizeof value) return false;
    std::memcpy(&value, data_.data() + pos_, sizeof value);
    pos_ += sizeof value;
    return true;
  }
  bool get_string(std::string& s, size_t length) {
    if (data_.size() - pos_ < length) return false;
    s.assign(data_, pos_, length);
    pos_ += length;
    return true;
  }
  bool get_string(std::string& s) {
    uint32_t length = 0;
    return get(length) && get_string(s, length);
  }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  const std::string& data_;
  size_t pos_ = 0;
};

void encode(const CommandBatch& batch, std::string& out) {
  out.clear();
  put<uint64_t>(out, batch.records);
  put<uint64_t>(out, batch.commands);
  put<uint32_t>(out, static_cast<uint32_t>(batch.runs.size()));
  for (const auto& run : batch.runs) {
    put_string(out, run.path);
    put_string(out, run.key);
    put<uint64_t>(out, run.commands_per_record);
    put<uint64_t>(out, run.records);
  }
  put<uint64_t>(out, batch.resp.size());
  out += batch.resp;
}

bool decode(const std::string& payload, CommandBatch& batch) {
  Reader in(payload);
  uint64_t records = 0, commands = 0, resp_size = 0;
  uint32_t runs = 0;
  if (!in.get(records) || !in.get(commands) || !in.get(runs)) return false;
  batch.clear();
  batch.records = records;
  batch.commands = commands;
  for (uint32_t i = 0; i < runs; ++i) {
    CommandBatch::Run run;
    uint64_t per_record = 0, run_records = 0;
    if (!in.get_string(run.path) || !in.get_string(run.key) || !in.get(per_record) ||
        !in.get(run_records))
      return false;
    run.commands_per_record = per_record;
    run.records = run_records;
    batch.runs.push_back(std::move(run));
  }
  return in.get(resp_size) && in.get_string(batch.resp, resp_size) && in.at_end();
}

// The record count of a payload without decoding the rest.
uint64_t records_of(const std::string& payload) {
  uint64_t records = 0;
  Reader(payload).get(records);
  return records;
}

bool is_segment_name(const char* name, uint64_t& number) {
  size_t n = std::strlen(name);
  if (n != 26 || std::strcmp(name + 20, ".spool") != 0) return false;
  number = 0;
  for (size_t i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    number = number * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return true;
}

std::atomic<uint64_t>& torn_counter() {
  static std::atomic<uint64_t>& counter = counters().get("spool_torn_entries");
  return counter;
}

}  // namespace

uint32_t crc32(const void* data, size_t size) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  uint32_t c = 0xFFFFFFFFu;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

// One segment file, open for reading and writing; closed with the object.
class Spool::File {
 public:
  static std::unique_ptr<File> open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return nullptr;
    return std::make_unique<File>(fd, path);
  }
  File(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~File() { ::close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  bool write_at(uint64_t offset, const void* data, size_t size) {
    return whole(::pwrite, offset, const_cast<void*>(data), size);
  }
  // Reads exactly `size` bytes; false on a short read (end of file).
  bool read_at(uint64_t offset, void* data, size_t size) {
    return whole(::pread, offset, data, size);
  }
  uint64_t size() const {
    struct stat st {};
    return ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }
  // An exclusive advisory lock, held until the file is closed.
  bool lock() { return ::flock(fd_, LOCK_EX | LOCK_NB) == 0; }
  bool truncate(uint64_t size) { return ::ftruncate(fd_, static_cast<off_t>(size)) == 0; }
  void sync() { ::fsync(fd_); }
  const std::string& path() const { return path_; }

 private:
  // Repeats a pread or pwrite until all `size` bytes are done.
  template <typename Io>
  bool whole(Io io, uint64_t offset, void* data, size_t size) {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
      ssize_t n = io(fd_, p, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      p += n;
      offset += static_cast<uint64_t>(n);
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  int fd_;
  std::string path_;
};

Spool::Spool(Key, SpoolOptions options) : options_(std::move(options)) {}

Spool::~Spool() {
  sync();
}

std::unique_ptr<Spool> Spool::open(const SpoolOptions& options, std::string* error) {
  if (::mkdir(options.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    if (error) *error = "cannot create '" + options.dir + "': " + std::strerror(errno);
    return nullptr;
  }
  auto spool = std::make_unique<Spool>(Key(), options);
  // Two bridges appending to one spool would interleave their entries and
  // replay each other's: the second one is refused.
  spool->lock_ = File::open(options.dir + "/lock");
  if (!spool->lock_ || !spool->lock_->lock()) {
    if (error) *error = "'" + options.dir + "' is in use by another process (or unwritable)";
    return nullptr;
  }
  if (!spool->recover(error)) return nullptr;
  return spool;
}

std::string Spool::segment_path(uint64_t segment) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.spool", static_cast<unsigned long long>(segment));
  return options_.dir + "/" + name;
}

bool Spool::recover(std::string* error) {
  DIR* dir = ::opendir(options_.dir.c_str());
  if (!dir) {
    if (error) *error = "cannot read '" + options_.dir + "': " + std::strerror(errno);
    return false;
  }
  std::vector<uint64_t> segments;
  while (const dirent* e = ::readdir(dir)) {
    uint64_t number = 0;
    if (is_segment_name(e->d_name, number)) segments.push_back(number);
  }
  ::closedir(dir);
  std::sort(segments.begin(), segments.end());
  for (uint64_t segment : segments)
    if (!recover_segment(segment)) {
      if (error) *error = "cannot read " + segment_path(segment) + ": " + std::strerror(errno);
      return false;
    }
  // Appends go to a new segment: a recovered file is only ever read.
  tail_segment_ = segments.empty() ? first_segment : segments.back() + 1;
  tail_size_ = 0;
  delete_finished_segments();
  if (!entries_.empty())
    log_info("spool ", options_.dir, ": ", records_, " records in ", entries_.size(),
             " batches left by an earlier run; they are written to Redis before new records");
  return true;
}

bool Spool::recover_segment(uint64_t segment) {
  auto file = File::open(segment_path(segment));
  if (!file) return false;
  const uint64_t size = file->size();
  uint64_t offset = 0;
  while (offset < size) {
    std::array<uint32_t, 3> header{};
    bool whole = size - offset >= header_size && file->read_at(offset, header.data(), header_size);
    bool plausible = whole && (header[0] == state_pending || header[0] == state_done) &&
                     header[1] <= max_payload && size - offset - header_size >= header[1];
    if (!plausible) {
      // A header cut short or overwritten: nothing after it can be trusted
      // to start an entry. Cut the file back to the last whole entry.
      ++torn_counter();
      log_warning("spool ", file->path(), ": damaged or torn entry at byte ", offset, " of ", size,
                  " (a write cut short by a crash?); dropping the ", size - offset,
                  " bytes from there");
      file->truncate(offset);
      break;
    }
    const uint64_t next = offset + header_size + header[1];
    if (header[0] == state_pending) {
      payload_.resize(header[1]);
      bool good = file->read_at(offset + header_size, payload_.data(), header[1]) &&
                  crc32(payload_.data(), payload_.size()) == header[2];
      if (good) {
        entries_.push_back(Entry{segment, offset, header[1], records_of(payload_)});
        records_ += entries_.back().records;
        bytes_ += header_size + header[1];
      } else if (next == size) {
        ++torn_counter();
        log_warning("spool ", file->path(), ": the last entry (byte ", offset,
                    ") fails its checksum (a write cut short by a crash?); dropping it");
        file->truncate(offset);
        break;
      } else {
        ++torn_counter();
        log_warning("spool ", file->path(), ": entry at byte ", offset,
                    " fails its checksum; skipping it and keeping the entries after it");
        file->write_at(offset, &state_done, sizeof state_done);
      }
    }
    offset = next;
  }
  files_.emplace_back(segment, std::move(file));
  return true;
}

Spool::File* Spool::segment_file(uint64_t segment) {
  for (auto& [number, file] : files_)
    if (number == segment) return file.get();
  auto file = File::open(segment_path(segment));
  if (!file) return nullptr;
  auto at = std::find_if(files_.begin(), files_.end(),
                         [&](const auto& entry) { return entry.first > segment; });
  return files_.emplace(at, segment, std::move(file))->second.get();
}

bool Spool::write_entry(File& file, uint64_t segment, uint64_t& offset, const CommandBatch& batch,
                        std::deque<Entry>& into) {
  encode(batch, payload_);
  if (bytes_ + header_size + payload_.size() > options_.max_bytes) return false;
  std::array<uint32_t, 3> header{state_pending, static_cast<uint32_t>(payload_.size()),
                                 crc32(payload_.data(), payload_.size())};
  // One buffer, one write: a crash leaves a prefix of the entry, which the
  // length and checksum reveal.
  payload_.insert(0, reinterpret_cast<const char*>(header.data()), header_size);
  if (!file.write_at(offset, payload_.data(), payload_.size())) {
    write_failed(file.path() + ": cannot write: " + std::strerror(errno));
    file.truncate(offset);
    return false;
  }
  into.push_back(Entry{segment, offset, header[1], batch.records});
  records_ += batch.records;
  bytes_ += payload_.size();
  offset += payload_.size();
  return true;
}

bool Spool::append(const CommandBatch& batch) {
  if (tail_size_ >= options_.segment_bytes) {
    if (File* full = segment_file(tail_segment_)) full->sync();
    ++tail_segment_;
    tail_size_ = 0;
  }
  File* file = segment_file(tail_segment_);
  if (!file) {
    write_failed("cannot create " + segment_path(tail_segment_) + ": " + std::strerror(errno));
    return false;
  }
  return write_entry(*file, tail_segment_, tail_size_, batch, entries_);
}

bool Spool::prepend(const std::deque<CommandBatch>& batches) {
  if (batches.empty()) return true;
  if (entries_.empty()) {
    for (const auto& batch : batches)
      if (!append(batch)) return false;
    return true;
  }
  uint64_t segment = std::min(entries_.front().segment, files_.front().first) - 1;
  File* file = segment_file(segment);
  if (!file) return false;
  std::deque<Entry> fresh;
  uint64_t offset = 0;
  bool ok = true;
  for (const auto& batch : batches)
    if (!(ok = write_entry(*file, segment, offset, batch, fresh))) break;
  file->sync();
  entries_.insert(entries_.begin(), fresh.begin(), fresh.end());
  return ok;
}

bool Spool::take(CommandBatch& out) {
  while (!taken_ && !entries_.empty()) {
    const Entry& entry = entries_.front();
    File* file = segment_file(entry.segment);
    payload_.resize(entry.length);
    std::array<uint32_t, 3> header{};
    bool good = file && file->read_at(entry.offset, header.data(), header_size) &&
                file->read_at(entry.offset + header_size, payload_.data(), entry.length) &&
                crc32(payload_.data(), payload_.size()) == header[2] && decode(payload_, out);
    if (good) {
      taken_ = true;
      return true;
    }
    // Damaged after it was written (by someone else: we only append): skip.
    ++torn_counter();
    log_warning("spool: entry at byte ", entry.offset, " of ", segment_path(entry.segment),
                " cannot be read back; skipping its ", entry.records, " records");
    counters().get("records_dropped", "spool_damaged") += entry.records;
    taken_ = true;
    done();
  }
  return false;
}

void Spool::done() {
  if (!taken_ || entries_.empty()) return;
  const Entry entry = entries_.front();
  entries_.pop_front();
  taken_ = false;
  if (File* file = segment_file(entry.segment))
    file->write_at(entry.offset, &state_done, sizeof state_done);
  release(entry);
  delete_finished_segments();
}

void Spool::untake() {
  taken_ = false;
}

size_t Spool::drop_oldest() {
  size_t at = taken_ ? 1 : 0;
  if (entries_.size() <= at) return 0;
  const Entry entry = entries_[at];
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(at));
  if (File* file = segment_file(entry.segment))
    file->write_at(entry.offset, &state_done, sizeof state_done);
  release(entry);
  delete_finished_segments();
  return entry.records;
}

void Spool::release(const Entry& entry) {
  records_ -= entry.records;
  bytes_ -= header_size + entry.length;
}

// Deletes every segment before the oldest live entry (all of them once the
// spool is empty): the spool's files shrink as Redis takes what they hold.
void Spool::delete_finished_segments() {
  while (!files_.empty()) {
    uint64_t segment = files_.front().first;
    bool live = std::any_of(entries_.begin(), entries_.end(),
                            [&](const Entry& e) { return e.segment == segment; });
    if (live || (segment == tail_segment_ && !entries_.empty())) break;
    ::unlink(files_.front().second->path().c_str());
    files_.pop_front();
    if (segment == tail_segment_) {
      ++tail_segment_;
      tail_size_ = 0;
    }
  }
}

// A full disk fails every append, and under `block` the writer retries
// many times a second: one line a minute says it all.
void Spool::write_failed(const std::string& what) {
  ++write_failures_;
  auto now = std::chrono::steady_clock::now();
  if (write_failures_ > 1 && now - failure_logged_ < std::chrono::minutes(1)) return;
  log_warning("spool: ", what, " (", write_failures_, " failed writes so far)");
  failure_logged_ = now;
}

void Spool::sync() {
  for (auto& [number, file] : files_)
    if (number == tail_segment_) file->sync();
}

}  // namespace zrb
