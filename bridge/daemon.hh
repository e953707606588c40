// The daemon's main loop: Broker in, conversion, Redis out, until a signal
// says stop.
#pragma once

#include "config.hh"

namespace zrb {

/// Runs until SIGTERM or SIGINT; returns the process exit code.
int run_daemon(const Config& config);

}  // namespace zrb
