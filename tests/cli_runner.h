#pragma once
// Running the `migsim` command line in-process, as the tests do.

#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"

namespace migsim::testing {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

inline CliResult run_cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = app::run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace migsim::testing
