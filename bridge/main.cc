// zeek-redis-bridge: joins Zeek to Redis. See README.md and docs/protocol.md.
#include <cstdio>
#include <exception>

#include "config.hh"
#include "daemon.hh"
#include "observe/log.hh"

int main(int argc, char** argv) {
  zrb::Config config;
  std::string message;
  switch (zrb::parse_config(argc, argv, config, message)) {
    case zrb::ConfigOutcome::exit:
      std::fputs(message.c_str(), stdout);
      return 0;
    case zrb::ConfigOutcome::error:
      std::fprintf(stderr, "zeek-redis-bridge: %s\n(see zeek-redis-bridge --help)\n",
                   message.c_str());
      return 2;
    case zrb::ConfigOutcome::run:
      break;
  }
  zrb::set_log_level(config.log_level);
  if (!config.log_file.empty() && !zrb::set_log_file(config.log_file)) {
    std::fprintf(stderr, "zeek-redis-bridge: cannot open log file %s\n", config.log_file.c_str());
    return 2;
  }
  try {
    return zrb::run_daemon(config);
  } catch (const std::exception& e) {
    zrb::log_error("fatal: ", e.what());
    return 1;
  }
}
