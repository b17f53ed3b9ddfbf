#include "app/signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "sampler/interrupt.h"

namespace migsim::app {

void install_interrupt_handling() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int count = 0;
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      ++count;
      if (count == 1) {
        std::fputs("\nmigsim: interrupted; stopping and cleaning up (press Ctrl-C twice more to quit at once)\n",
                   stderr);
        sampler::request_interrupt();
      } else if (count >= 3) {
        std::fputs("\nmigsim: quitting without cleanup\n", stderr);
        _exit(130);
      }
    }
  }).detach();
}

}  // namespace migsim::app
