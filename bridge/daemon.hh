// The daemon: assembles the parts (assembly.hh), then moves events between
// them until a signal says stop, then shuts down without losing what was
// accepted.
#pragma once

#include "config.hh"

namespace zrb {

/// Runs until SIGTERM or SIGINT; returns the process exit code.
int run_daemon(const Config& config);

}  // namespace zrb
