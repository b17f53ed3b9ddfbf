#pragma once
// Running the PostgreSQL server programs (initdb, pg_ctl) as child processes.

#include <string>
#include <vector>

namespace migsim::sampler {

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal
  std::string output;   // stdout and stderr, interleaved
};

// Runs argv[0] (an absolute path) with `argv`, waits for it and returns its
// exit code and output. The child starts in a session of its own (so a
// terminal's Ctrl-C reaches migsim, which then shuts the child down in order)
// with all signals unblocked, in directory "/". When migsim runs as root and
// `as_user` is non-empty, the child runs as that user (PostgreSQL refuses to
// run as root). Throws std::runtime_error if the program cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& as_user = "");

}  // namespace migsim::sampler
