#include "intel/redis_to_zeek.hh"

namespace zrb {

RedisToZeek::RedisToZeek(RedisToZeekOptions options, Transport& transport, RedisWriter& writer)
    : transport_(transport), intel_topic_(options.inbound.intel_topic) {
  const auto& in = options.inbound;
  SubscriberOptions so;
  so.url = options.redis.url;
  so.channels = std::move(options.channels);
  so.channels.insert(so.channels.end(), in.intel_channels.begin(), in.intel_channels.end());
  so.patterns = std::move(options.patterns);
  bool subscribe = !so.channels.empty() || !so.patterns.empty();
  bool intel = !in.intel_channels.empty() || !in.streams.streams.empty();
  if (subscribe || intel) inbound_ = std::make_unique<RedisInbound>(in, transport, writer);
  if (subscribe) subscriber_ = std::make_unique<RedisSubscriber>(std::move(so));
  if (intel && in.snapshot.enabled) {
    replay_ = std::make_unique<IntelReplay>(ReplayOptions{options.redis, in.snapshot});
    transport.on_peer_change([this](const PeerChange& change) {
      if (change.kind == PeerChange::Kind::added) replay_->request();
    });
  } else {
    // Nothing to replay: the replay is over as soon as it begins.
    transport.on_peer_change([this](const PeerChange& change) {
      if (change.kind == PeerChange::Kind::added) publish_replay_done(0);
    });
  }
  if (!in.streams.streams.empty()) {
    IntelStreamOptions sto = in.streams;
    sto.redis = options.redis;
    streams_ = std::make_unique<IntelStreamReader>(std::move(sto));
  }
}

RedisToZeek::~RedisToZeek() {
  stop();
}

int RedisToZeek::subscriber_fd() const {
  return subscriber_ ? subscriber_->fd() : -1;
}

int RedisToZeek::replay_fd() const {
  return replay_ ? replay_->fd() : -1;
}

int RedisToZeek::streams_fd() const {
  return streams_ && transport_.peer_count() > 0 ? streams_->fd() : -1;
}

void RedisToZeek::pump(size_t max) {
  if (subscriber_) {
    messages_.clear();
    subscriber_->poll(messages_, max);
    for (auto& m : messages_) inbound_->handle(std::move(m));
  }
  if (replay_) {
    replayed_.clear();
    replay_->poll(replayed_, max);
    for (const auto& item : replayed_) {
      if (const auto* u = std::get_if<IntelUpdate>(&item))
        inbound_->replay(*u);
      else
        publish_replay_done(std::get<ReplayEnd>(item).indicators);
    }
  }
  // Stream intel is taken only while a Zeek peer listens: until then it
  // stays unacknowledged in Redis (and in the reader's bounded queue).
  if (streams_ && transport_.peer_count() > 0) {
    entries_.clear();
    streams_->poll(entries_, max);
    for (const auto& e : entries_) inbound_->handle(e);
  }
}

void RedisToZeek::publish_replay_done(uint64_t indicators) {
  transport_.publish(intel_topic_, std::string(replay_done_event), Vector{indicators});
}

void RedisToZeek::stop() {
  if (subscriber_) subscriber_->stop();
  if (streams_) streams_->stop();
  if (replay_) replay_->stop();
}

}  // namespace zrb
