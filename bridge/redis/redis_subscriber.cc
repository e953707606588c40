#include "redis/redis_subscriber.hh"

#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "observe/counters.hh"
#include "observe/log.hh"

namespace zrb {

namespace {

using std::chrono::milliseconds;

// A bulk string element of a pub/sub reply; nullopt for anything else.
std::optional<std::string_view> bulk(const redisReply& reply, size_t index) {
  if (index >= reply.elements) return std::nullopt;
  const redisReply* element = reply.element[index];
  if (element == nullptr || element->type != REDIS_REPLY_STRING) return std::nullopt;
  return std::string_view(element->str, element->len);
}

std::string describe(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_ARRAY) {
    auto kind = bulk(reply, 0);
    return "an array of " + std::to_string(reply.elements) + " starting with '" +
           std::string(kind.value_or("?")) + "'";
  }
  return "a reply of type " + std::to_string(reply.type);
}

// 1, 2, 4, 8, ...: how often a recurring problem is worth a log line.
bool is_power_of_two(uint64_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

size_t size_of(const RedisMessage& message) {
  return message.channel.size() + message.pattern.size() + message.payload.size();
}

SubscriberOptions checked(SubscriberOptions options) {
  if (options.channels.empty() && options.patterns.empty())
    throw std::invalid_argument("RedisSubscriber: no channel and no pattern to subscribe to");
  // Zero would be a queue that takes nothing: not a configuration anyone means.
  options.max_queued = std::max<size_t>(options.max_queued, 1);
  options.max_queued_bytes = std::max<size_t>(options.max_queued_bytes, 1);
  options.max_message_bytes = std::min(options.max_message_bytes, options.max_queued_bytes);
  options.backoff_initial = std::max(options.backoff_initial, milliseconds(1));
  options.backoff_max = std::max(options.backoff_max, options.backoff_initial);
  return options;
}

}  // namespace

RedisSubscriber::RedisSubscriber(SubscriberOptions options)
    : options_(checked(std::move(options))),
      masked_url_(options_.url.masked()),
      // Redis confirms each name of a SUBSCRIBE separately, a repeated one too.
      expected_confirmations_(options_.channels.size() + options_.patterns.size()),
      backoff_(options_.backoff_initial, options_.backoff_max),
      reconnects_(counters().get("redis_in_reconnects")),
      connect_failures_(counters().get("redis_in_connect_failures")),
      dropped_queue_full_(counters().get("redis_in_dropped", "queue_full")),
      dropped_too_large_(counters().get("redis_in_dropped", "too_large")) {
  thread_ = std::thread([this] { run(); });
}

RedisSubscriber::~RedisSubscriber() {
  stop();
}

// --- owning thread ---

size_t RedisSubscriber::poll(std::vector<RedisMessage>& out, size_t max) {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = std::min(max, queue_.size());
  for (size_t i = 0; i < n; ++i) {
    queued_bytes_ -= size_of(queue_.front());
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  if (n > 0 && queue_.empty()) event_fd_.lower();
  return n;
}

void RedisSubscriber::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  {
    // Ends the read that waits for the next message.
    conn_.interrupt();
  }
  if (thread_.joinable()) thread_.join();
  subscribed_ = false;
}

// --- reading thread ---

void RedisSubscriber::run() {
  // SUBSCRIBE to a socket that Redis has closed would raise SIGPIPE, whose
  // default action ends the process; blocked here, the write fails instead.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  log_debug("subscribing at Redis ", masked_url_);
  while (!stopping_) {
    if (connect_and_subscribe()) read_until_lost();
    drop_connection();
    if (stopping_) return;
    // Also before the first reconnection: a server that accepts and then
    // drops every connection must not make this a busy loop.
    sleep_backoff();
  }
}

bool RedisSubscriber::connect_and_subscribe() {
  std::string error;
  // The handshake is bounded like connecting, so that a Redis that accepts
  // and never answers cannot hold this thread (and stop()) forever.
  auto conn = RedisContext::connect(options_.url, options_.connect_timeout,
                                    options_.connect_timeout, &error);
  if (conn && !conn->set_io_timeout(milliseconds(0)))
    error = "clearing the read timeout: " + conn->error();
  if (!conn || !error.empty()) {
    if (stopping_) return false;
    ++connect_failures_;
    note_trouble("cannot connect: " + error);
    return false;
  }
  // Refused once stop() has interrupted: a connection made while
  // stopping is never used.
  if (!conn_.install(std::move(*conn))) return false;
  if (ever_connected_) ++reconnects_;
  ever_connected_ = true;
  confirmations_ = 0;

  // RedisContext::command() returns the next reply in the stream: once
  // subscribed, that may be a confirmation of the previous command or a
  // message (hiredis then sends the command with the next read that finds
  // no reply waiting). handle() takes each reply for what it is, in order.
  for (const auto* names : {&options_.channels, &options_.patterns}) {
    if (names->empty()) continue;
    std::vector<std::string_view> argv;
    argv.reserve(names->size() + 1);
    argv.emplace_back(names == &options_.channels ? "SUBSCRIBE" : "PSUBSCRIBE");
    argv.insert(argv.end(), names->begin(), names->end());
    RedisReply reply = conn_->command(argv);
    if (!reply) {
      if (!stopping_)
        note_trouble("lost the connection while subscribing (" + conn_->error() + ")");
      return false;
    }
    if (handle(*reply) == Reply::refused) return false;
  }
  return true;
}

void RedisSubscriber::read_until_lost() {
  for (;;) {
    RedisReply reply = conn_->get_reply();
    if (!reply) {
      if (stopping_) return;  // stop() shut the socket down
      // Redis closes a subscriber that falls behind by its output buffer
      // limit; the hint saves an operator a trip to the Redis log.
      note_trouble("lost the connection (" + conn_->error() +
                   "); messages published until it is back are lost. If Redis closed it, see "
                   "its log for 'client-output-buffer-limit' (a message over the pubsub limit)");
      return;
    }
    if (handle(*reply) == Reply::refused) return;
  }
}

RedisSubscriber::Reply RedisSubscriber::handle(const redisReply& reply) {
  if (auto error = reply_error(reply)) {
    // NOPERM (an ACL without these channels) and the like: it may be fixed
    // without restarting the bridge, so retry with backoff like an outage.
    note_trouble("Redis refused to subscribe: '" + std::string(*error) + "'");
    return Reply::refused;
  }
  auto kind = reply.type == REDIS_REPLY_ARRAY ? bulk(reply, 0) : std::nullopt;
  if (kind == "message" && reply.elements == 3) {
    auto channel = bulk(reply, 1), payload = bulk(reply, 2);
    if (channel && payload) {
      deliver(RedisMessage{std::string(*channel), std::string(), std::string(*payload)});
      return Reply::ok;
    }
  } else if (kind == "pmessage" && reply.elements == 4) {
    auto pattern = bulk(reply, 1), channel = bulk(reply, 2), payload = bulk(reply, 3);
    if (pattern && channel && payload) {
      deliver(RedisMessage{std::string(*channel), std::string(*pattern), std::string(*payload)});
      return Reply::ok;
    }
  } else if ((kind == "subscribe" || kind == "psubscribe") && reply.elements == 3) {
    if (++confirmations_ == expected_confirmations_) {
      subscribed_ = true;
      backoff_.reset();
      if (in_trouble_)
        end_trouble();
      else if (!ever_subscribed_)
        log_info("Redis subscription at ", masked_url_, ": ", what_is_subscribed());
      ever_subscribed_ = true;
    }
    return Reply::ok;
  }
  // Nothing else is expected on a connection that only subscribes; the
  // stream is still in step (one reply read), so go on.
  log_warning("Redis subscription at ", masked_url_, ": ignoring unexpected ", describe(reply));
  return Reply::ok;
}

void RedisSubscriber::deliver(RedisMessage message) {
  const std::string& label = message.pattern.empty() ? message.channel : message.pattern;
  messages_counter(label).fetch_add(1, std::memory_order_relaxed);
  if (message.payload.size() > options_.max_message_bytes) {
    ++dropped_too_large_;
    if (is_power_of_two(++too_large_))
      log_warning("Redis subscription at ", masked_url_, ": dropped a message of ",
                  message.payload.size(), " bytes on '", message.channel, "' (limit ",
                  options_.max_message_bytes, "); ", too_large_, " so far");
    return;
  }

  size_t bytes = size_of(message);
  size_t dropped = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Drop the oldest until the new one fits (see the header for why).
    while (!queue_.empty() && (queue_.size() >= options_.max_queued ||
                               queued_bytes_ + bytes > options_.max_queued_bytes)) {
      queued_bytes_ -= size_of(queue_.front());
      queue_.pop_front();
      ++dropped;
    }
    if (queue_.empty()) event_fd_.raise();
    queued_bytes_ += bytes;
    queue_.push_back(std::move(message));
  }
  // An overload starts with the first drop and ends with the first message
  // that finds room again.
  if (dropped > 0) {
    dropped_queue_full_ += dropped;
    if (overload_drops_ == 0)
      log_warning("Redis subscription at ", masked_url_,
                  ": the queue of messages for Zeek is full (", options_.max_queued,
                  " messages or ", options_.max_queued_bytes,
                  " bytes); dropping the oldest until the main thread catches up");
    overload_drops_ += dropped;
  } else if (overload_drops_ > 0) {
    log_info("Redis subscription at ", masked_url_, ": the queue has room again after dropping ",
             overload_drops_, " messages");
    overload_drops_ = 0;
  }
}

void RedisSubscriber::drop_connection() {
  subscribed_ = false;
  conn_.reset();
}

void RedisSubscriber::sleep_backoff() {
  auto delay = backoff_.next();
  std::unique_lock<std::mutex> lock(mutex_);
  stop_cv_.wait_for(lock, delay, [&] { return stopping_.load(); });
}

// The first failure of an outage is a warning, a different failure another
// one, repeats only debug lines: an outage of an hour is a few lines.
void RedisSubscriber::note_trouble(const std::string& what) {
  if (!in_trouble_) {
    in_trouble_ = true;
    trouble_since_ = std::chrono::steady_clock::now();
    trouble_attempts_ = 1;
    log_warning("Redis subscription at ", masked_url_, ": ", what, "; retrying with backoff up to ",
                options_.backoff_max.count(), " ms");
  } else {
    ++trouble_attempts_;
    if (what != last_trouble_)
      log_warning("Redis subscription at ", masked_url_, ": ", what);
    else
      log_debug("Redis subscription at ", masked_url_, ": ", what);
  }
  last_trouble_ = what;
}

std::string RedisSubscriber::what_is_subscribed() const {
  size_t channels = options_.channels.size(), patterns = options_.patterns.size();
  return detail::concat("subscribed to ", channels, " channel", channels == 1 ? "" : "s", " and ",
                        patterns, " pattern", patterns == 1 ? "" : "s");
}

void RedisSubscriber::end_trouble() {
  auto ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - trouble_since_)
          .count();
  log_info("Redis subscription at ", masked_url_, ": ",
           ever_subscribed_ ? "back" : what_is_subscribed(), " after ", trouble_attempts_,
           " failed attempt", trouble_attempts_ == 1 ? "" : "s", " in ", ms / 1000.0, " s");
  in_trouble_ = false;
  last_trouble_.clear();
}

std::atomic<uint64_t>& RedisSubscriber::messages_counter(const std::string& label) {
  // Labels are the configured channels and patterns only (Redis delivers
  // nothing else), so the map and the counter names stay bounded.
  auto found = messages_by_label_.find(label);
  if (found == messages_by_label_.end())
    found = messages_by_label_.emplace(label, &counters().get("redis_in_messages", label)).first;
  return *found->second;
}

}  // namespace zrb
