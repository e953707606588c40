// The CAF scheduler settings of a libbroker 1.4 endpoint, as Zeek sets them.
//
// CAF 0.17's default is the work-stealing scheduler with max(4, cores)
// threads, whose idle workers poll and sleep in short intervals: on a small
// machine that costs CPU the busy threads need. Zeek 3.2 runs Broker with
// Broker::scheduler_policy = "sharing" and Broker::max_threads = 1 (its
// Broker manager passes them to CAF exactly like this), and so does the
// bridge (--broker.scheduler-policy, --broker.max-threads). The benchmark
// publisher and decode sink use the same defaults.
#pragma once

#include <broker/configuration.hh>
#include <caf/atom.hpp>

#include <stdexcept>
#include <string>

namespace zrb_bench {

/// `policy`: "sharing", "stealing" or "default" (leave CAF's choice);
/// `threads`: 0 leaves CAF's default.
inline void set_caf_scheduler(broker::configuration& config, const std::string& policy,
                              size_t threads) {
  if (policy == "sharing")
    config.set("scheduler.policy", caf::atom("sharing"));
  else if (policy == "stealing")
    config.set("scheduler.policy", caf::atom("stealing"));
  else if (policy != "default")
    throw std::invalid_argument("--caf-policy: sharing, stealing or default");
  if (threads > 0) config.set("scheduler.max-threads", threads);
}

}  // namespace zrb_bench
