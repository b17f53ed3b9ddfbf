#pragma once
// The `migsim` command line: subcommands, options, exit codes (DESIGN.md):
// 0 passed the gate, 1 gate failed, 2 bad usage or input, 3 database or
// runtime error, 130 interrupted.

#include <iosfwd>
#include <string>
#include <vector>

namespace migsim::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitGateFailed = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitRuntime = 3;
inline constexpr int kExitInterrupted = 130;

// Runs migsim with `args` (without the program name); the report goes to
// `out`, progress and errors to `err`. Never throws.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace migsim::app
