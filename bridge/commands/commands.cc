#include "commands/commands.hh"

#include "commands/command_reply.hh"
#include "observe/counters.hh"
#include "observe/rejection.hh"

namespace zrb {

namespace {

ExecutorOptions executor_options(const CommandsOptions& options, const RedisUrl& url) {
  ExecutorOptions o;
  o.url = url;
  o.max_queued = options.max_queued;
  o.max_batch = options.max_batch;
  return o;
}

constexpr size_t replies_per_turn = 1024;

}  // namespace

Commands::Commands(CommandsOptions options, const RedisUrl& url, Transport& transport)
    : options_(std::move(options)),
      transport_(transport),
      executor_(executor_options(options_, url)),
      replies_(counters().get("command_replies")) {}

void Commands::handle(Event&& event) {
  auto check = check_command(event, options_.allowlist, options_.key_prefix);
  if (!check.request) {
    reject(check.reason, check.detail);
    answer(check.id, check.reply_topic, error_reply_value(std::move(check.error_reply)));
    return;
  }
  auto& request = *check.request;
  auto& received = counters().get("commands_received", request.op);
  if (!executor_.submit(request)) {
    std::string detail = "event " + event.name + ": " + std::to_string(options_.max_queued) +
                         " requests are waiting for Redis already";
    reject("command_queue_full", detail);
    answer(request.id, request.reply_topic, error_reply_value("OVERLOAD " + detail));
    return;
  }
  ++received;
}

void Commands::poll() {
  outcomes_.clear();
  executor_.poll(outcomes_, replies_per_turn);
  for (auto& outcome : outcomes_) answer(outcome.id, outcome.reply_topic, std::move(outcome.reply));
}

size_t Commands::finish(std::chrono::steady_clock::time_point deadline) {
  size_t left = executor_.drain(deadline);
  executor_.stop();
  do poll();
  while (!outcomes_.empty());
  return left;
}

void Commands::answer(uint64_t id, const std::string& topic, Value reply) {
  if (id == 0 || topic.empty()) return;
  ++replies_;
  transport_.publish(topic, std::string(reply_event), Vector{id, std::move(reply)});
}

}  // namespace zrb
