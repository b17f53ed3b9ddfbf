#include "app/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <ostream>

#include <fmt/format.h>

namespace migsim::app {

sampler::ProgressFn progress_printer(std::ostream& err, bool terminal) {
  struct State {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    bool bar_open = false;  // a bar is drawn and not yet ended with a newline
  };
  auto state = std::make_shared<State>();
  return [state, &err, terminal](const sampler::Progress& p) {
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - state->start).count();
    const std::string stamp = fmt::format("[{:7.1f} s] ", t);
    if (!terminal || p.done < 0) {
      if (state->bar_open) err << "\n";
      state->bar_open = false;
      err << stamp << p.line << "\n" << std::flush;
      return;
    }
    constexpr int kWidth = 24;
    const double done = std::clamp(p.done, 0.0, 1.0);
    const int filled = static_cast<int>(done * kWidth + 0.5);
    err << "\r\x1b[K" << stamp << "[" << std::string(static_cast<size_t>(filled), '#')
        << std::string(static_cast<size_t>(kWidth - filled), '.') << "] " << fmt::format("{:3.0f} % ", 100 * done)
        << p.line;
    state->bar_open = done < 1.0;
    if (!state->bar_open) err << "\n";
    err << std::flush;
  };
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

bool stdout_wants_colour() {
  const char* no_colour = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) == 1 && (no_colour == nullptr || no_colour[0] == '\0');
}

}  // namespace migsim::app
