// The disk spool: batches of Redis commands that did not fit in memory (or
// were still unwritten at shutdown), kept in files until Redis takes them.
//
// A spool is a directory of segment files named by a 20-digit number, read
// in that order, and a `lock` file that keeps a second process out. Each
// segment is a sequence of entries, appended and never
// rewritten except for one word:
//
//   u32 state     'ZRBP' pending, 'ZRBD' done (written to Redis)
//   u32 length    of the payload
//   u32 crc32     of the payload
//   payload       one CommandBatch: its counts, its runs, its RESP
//
// Storing the formatted commands and the record counts of each run makes a
// replay exact: the writer sends the same bytes and counts the same records
// per path as if the batch had never left memory. Once a batch is written
// its state word is overwritten with 'done' (a 4-byte pwrite, no fsync), so
// a restart replays only what Redis has not confirmed: at most the one batch
// that was in flight is written twice. A segment whose entries are all done
// is deleted.
//
// A crash mid-append leaves a torn last entry: a short header or payload, or
// a checksum that does not match. open() detects it, logs it, counts it
// (spool_torn_entries) and cuts the file back to the last whole entry, so
// garbage is never replayed and appends continue from a clean end. A bad
// entry with a plausible length in the middle of a file is skipped the same
// way and the entries after it are kept.
//
// fsync policy: none per entry. The data is in the kernel's page cache as
// soon as write() returns, so it survives the bridge being killed (kill -9,
// a crash, OOM); only a crash of the machine itself can lose the last
// seconds the kernel had not written back. A segment is fsynced when it is
// full and the spool when it is closed, which bounds that window to the
// current segment. Per-entry fsync would cost a disk round trip per batch
// during an outage, exactly when the bridge must keep up.
//
// Not thread-safe: the writer guards it with its own mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "redis/redis_command.hh"

namespace zrb {

struct SpoolOptions {
  /// Directory of the segment files (created if missing); empty: no spool.
  std::string dir;
  /// Most bytes of entries not yet written to Redis (appends past it fail).
  uint64_t max_bytes = 1024ull * 1024 * 1024;
  /// A new segment file starts when the current one reaches this size.
  uint64_t segment_bytes = 16ull * 1024 * 1024;
};

class Spool {
  struct Key {
    explicit Key() = default;
  };

 public:
  /// Use open(); the key keeps the constructor to it.
  Spool(Key, SpoolOptions options);
  /// Opens (creating) the directory and recovers the entries left there by
  /// an earlier run, oldest first. nullptr and `error` set if the directory
  /// cannot be used.
  static std::unique_ptr<Spool> open(const SpoolOptions& options, std::string* error);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  /// Appends a batch after every other entry. False (and nothing written)
  /// if it would take the spool past max_bytes or the write fails.
  bool append(const CommandBatch& batch);

  /// Writes batches as one new segment placed before every other entry:
  /// shutdown uses it for batches older than what is spooled already.
  bool prepend(const std::deque<CommandBatch>& batches);

  /// Reads the oldest entry not yet taken into `out` and takes it (it stays
  /// in the spool, and counts in records()/bytes(), until done()). False if
  /// nothing is left to take or the read fails.
  bool take(CommandBatch& out);

  /// The entry last taken is written to Redis: marks it done.
  void done();

  /// Puts the entry last taken back (the writer stopped before Redis
  /// answered): the next take() returns it again.
  void untake();

  /// Drops the oldest entry not yet taken, marking it done; returns its
  /// records, 0 if there is none.
  size_t drop_oldest();

  /// Records and payload bytes of entries not yet done.
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }
  bool empty() const { return entries_.empty(); }
  /// True while an entry is taken and neither done() nor untake()n.
  bool busy() const { return taken_; }

  /// fsyncs the segment being appended to.
  void sync();

 private:
  struct Entry {
    uint64_t segment;
    uint64_t offset;  // of the header
    uint32_t length;  // of the payload
    uint64_t records;
  };
  class File;

  bool recover(std::string* error);
  bool recover_segment(uint64_t segment);
  bool write_entry(File& file, uint64_t segment, uint64_t& offset, const CommandBatch& batch,
                   std::deque<Entry>& into);
  File* segment_file(uint64_t segment);
  void release(const Entry& entry);
  void delete_finished_segments();
  std::string segment_path(uint64_t segment) const;
  void write_failed(const std::string& what);

  const SpoolOptions options_;
  std::unique_ptr<File> lock_;  // flock()ed: one process per spool; closed last
  std::deque<Entry> entries_;   // not yet done, oldest first
  bool taken_ = false;          // entries_.front() is taken
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  std::deque<std::pair<uint64_t, std::unique_ptr<File>>> files_;  // open segments, ascending
  uint64_t tail_segment_ = 0;                                     // the segment appended to
  uint64_t tail_size_ = 0;
  std::string payload_;  // reused for every entry
  uint64_t write_failures_ = 0;
  std::chrono::steady_clock::time_point failure_logged_{};
};

/// CRC-32 (IEEE 802.3, as zlib computes it) of `data`.
uint32_t crc32(const void* data, size_t size);

}  // namespace zrb
