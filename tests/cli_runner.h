#pragma once
// Running the `migsim` command line in-process, as the tests do. Every JSON
// document a command prints is validated against schema/migsim.schema.json
// (tests/tools/validate_json.py, Debian's python3-jsonschema): a violation
// fails the test that ran the command.

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"

#ifndef MIGSIM_SOURCE_DIR
#error "tests need MIGSIM_SOURCE_DIR (set in tests/CMakeLists.txt)"
#endif

namespace migsim::testing {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

// The violations of `definition` (one of the schema's $defs, or "any") by
// `json`, one per line; empty when it is valid. A validator that cannot run
// is a violation too, so a missing python3-jsonschema cannot pass silently.
inline std::string schema_violations(const std::string& definition, const std::string& json) {
  char path[] = "/tmp/migsim-json-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "cannot create a temporary file";
  close(fd);
  std::ofstream(path, std::ios::binary) << json;
  const std::string command = std::string("/usr/bin/python3 ") + MIGSIM_SOURCE_DIR + "/tests/tools/validate_json.py " +
                              MIGSIM_SOURCE_DIR + "/schema/migsim.schema.json " + definition + " " + path + " 2>&1";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "cannot start the validator";
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  std::remove(path);
  if (status != 0 && output.empty()) output = "the validator failed with status " + std::to_string(status);
  return status == 0 ? std::string() : output;
}

// The schema definition of what `command` prints as JSON.
inline std::string json_definition(const std::string& command, const std::string& json) {
  if (command == "estimate" || command == "demo") {
    return json.find("\n  \"migrations\": [") != std::string::npos ? "estimate_set" : "estimate";
  }
  if (command == "simulate") return "simulation";
  if (command == "compare") return "comparison";
  return command;  // lint, traffic
}

inline CliResult run_cli(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = app::run_cli(args, out, err);
  CliResult r{code, out.str(), err.str()};
  const size_t first = r.out.find_first_not_of(" \n");
  if (!args.empty() && first != std::string::npos && r.out[first] == '{') {
    const std::string violations = schema_violations(json_definition(args[0], r.out), r.out);
    EXPECT_EQ(violations, "") << "migsim " << args[0] << " printed JSON that breaks schema/migsim.schema.json";
  }
  return r;
}

}  // namespace migsim::testing
