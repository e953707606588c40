#include "signals.hh"

#include <pthread.h>

#include <csignal>
#include <thread>

namespace zrb {

SignalFlags& take_signals_on_own_thread() {
  static SignalFlags flags;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // Detached: it may still wait in sigwait() when the process exits.
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        flags.reopen_log = true;
      } else {
        flags.stop = true;
      }
    }
  }).detach();
  signal(SIGPIPE, SIG_IGN);
  return flags;
}

}  // namespace zrb
