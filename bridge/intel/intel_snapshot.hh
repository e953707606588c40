// The intel snapshot: the current indicator set, kept in Redis so that a
// Zeek that (re)connects gets all of it back (docs/protocol.md, "Intel
// snapshot"). Pub/sub and stream intel are transient; the snapshot is what
// outlives a restart of Zeek.
//
// Layout: one hash per source, `<prefix><source>`, with one field per
// indicator, "<Intel::Type> <indicator>" (the type never contains a space,
// so the first space splits them, and a DOMAIN "a" never meets an ADDR
// "a"); its value is the item as an intel message would carry it, JSON,
// plus "expire_at" (Unix seconds) when it expires. A set `sources_key`
// names the sources, so replay needs no KEYS or SCAN over the keyspace.
//
// The bridge updates it for every valid add (HSET, SADD) and remove (HDEL)
// it handles, through the daemon's writer: in order with everything else
// it writes, at-least-once, binary-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "intel/intel_message.hh"
#include "redis/redis_writer.hh"

namespace zrb {

struct SnapshotOptions {
  /// Keep the snapshot (and replay it to each new peer).
  bool enabled = true;
  /// Hash of source S: prefix + S.
  std::string prefix = "zeek:intel:snapshot:";
  /// The set of sources.
  std::string sources_key = "zeek:intel:sources";
};

/// The hash field of an indicator: "<type> <indicator text>" (addresses
/// and subnets in canonical form, so every spelling of one meets).
std::string snapshot_field(const IntelUpdate& u);

/// The hash value of an add: the item as JSON, with "expire_at" =
/// `now_seconds` + expire when it expires.
std::string snapshot_value(const IntelUpdate& u, double now_seconds);

/// Reads a hash value back, for a replay at `now_seconds`: the add with
/// its remaining expiry, or nullopt (with `why`) if it has expired or is
/// not a valid item (someone else wrote it).
std::optional<IntelUpdate> read_snapshot_value(std::string_view value, double now_seconds,
                                               std::string* why);

/// The current time as Unix seconds.
double unix_now();

/// Writes snapshot updates through the daemon's writer.
class IntelSnapshot {
 public:
  IntelSnapshot(SnapshotOptions options, RedisWriter& writer);

  /// Records one valid update (add: HSET + SADD; remove: HDEL).
  void record(const IntelUpdate& u);

 private:
  SnapshotOptions options_;
  RedisWriter& writer_;
  std::string key_, field_, value_;
};

}  // namespace zrb
