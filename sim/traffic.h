#pragma once
// A table's traffic, as the lock simulator takes it (issue 6's format):
// classes of transactions with an arrival rate, the lock they take and how
// long they hold it, plus transactions already running. Plain values; the
// JSON form is written by reports/ and read by the simulator.

#include <string>
#include <vector>

#include "sim/lock_mode.h"

namespace migsim::sim {

struct ServiceTime {
  std::string dist = "fixed";  // "fixed", "exponential" or "lognormal"
  double mean_ms = 2;
  double p99_ms = 2;           // used by "lognormal"
};

struct TrafficClass {
  std::string name;
  LockMode lock_mode = LockMode::AccessShare;
  double rate_per_s = 0;            // Poisson arrivals at this rate...
  std::vector<double> arrivals_s;   // ...or, when given, exactly these arrival times (a recording)
  ServiceTime service;
};

struct LongTransaction {
  double start_s = 0;     // relative to the simulation's start
  double duration_s = 0;  // how long it still holds its lock from start_s
  LockMode lock_mode = LockMode::AccessShare;
};

struct TrafficProfile {
  int pool_size = 100;
  std::vector<TrafficClass> classes;
  std::vector<LongTransaction> long_transactions;
};

}  // namespace migsim::sim
