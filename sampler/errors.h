#pragma once
// Errors raised by sampler/, each mapped by app/ to an exit code (DESIGN.md).

#include <stdexcept>
#include <string>

namespace migsim::sampler {

// The server could not be reached, or it reported an error (exit 3). The
// message carries the server's own words.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Something the user named does not exist or cannot be used: a missing table,
// an ambiguous target (exit 2).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The migration does something migsim will not run against a copy, because it
// could reach outside the scratch schema (exit 2). Names file:line:column.
class UnsafeMigration : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user pressed Ctrl-C (or the process got SIGTERM); cleanup has run.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

}  // namespace migsim::sampler
