#pragma once
// A discrete-event simulation of PostgreSQL's lock manager on one table: the
// migration's lock timeline against live traffic (../shared/reference/
// postgres-locks-and-libs.md §1, §3). Plain values in and out; deterministic
// for a given seed. Memory is bounded by the number of transactions in flight
// and waiting, not by the simulated duration.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/lock_mode.h"
#include "sim/traffic.h"

namespace migsim::sim {

struct MigrationStep {
  std::string name;
  LockMode lock_mode = LockMode::AccessExclusive;
  double start_s = 0;  // earliest start; a step also waits for the one before it to finish
  double hold_s = 0;   // from the grant of its lock to its commit
};

struct MigrationTimeline {
  std::vector<MigrationStep> steps;
  std::optional<double> lock_timeout_s;  // each lock request gives up after this long
  int retries = 0;                       // attempts after a lock timeout
  double retry_backoff_s = 1;            // wait before retry k: retry_backoff_s * 2^(k-1)
};

struct SimulationOptions {
  std::uint64_t seed = 1;
  double duration_s = 0;                   // 0: until the migration is done and the queues drained (+1 s)
  std::optional<double> statement_timeout_s;  // traffic queries waiting longer are cancelled
  int series_points = 500;                 // at most this many points in queue_depth_series
};

struct WaitSummary {
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct SimulationResult {
  long long queries = 0;          // traffic transactions that arrived
  long long completed = 0;
  long long blocked_queries = 0;  // waited for a connection or a lock at all
  WaitSummary wait;               // time from arrival to start of service, over every query
  WaitSummary wait_blocked;       // the same, over the blocked ones only
  int max_queue_depth = 0;        // transactions waiting for the table's lock
  std::vector<std::pair<double, int>> queue_depth_series;  // (t, max depth in that interval)
  std::optional<double> pool_exhausted_at_s;  // first time an arrival found every connection busy
  long long timed_out_queries = 0;            // cancelled by statement_timeout while waiting
  std::optional<double> migration_finished_at_s;  // last step committed; empty if it gave up
  int migration_attempts = 0;                 // lock requests made, retries included
  bool migration_failed = false;              // ran out of retries
  double simulated_s = 0;
  long long events = 0;
};

// Runs the simulation. Throws std::invalid_argument for impossible input
// (negative rates or times, a lognormal p99 below its mean).
SimulationResult simulate(const TrafficProfile& traffic, const MigrationTimeline& timeline,
                          const SimulationOptions& options);

struct LockTimeoutAdvice {
  bool found = false;
  double lock_timeout_s = 0;
  int retries = 0;
  double retry_backoff_s = 0;
  SimulationResult result;  // the simulation with that setting
};

// The safe pattern's parameters for this traffic: tries lock_timeout from 5 s
// down to 50 ms and, for each, up to 20 retries (backoff starting at the
// timeline's retry_backoff_s), and returns the first setting (longest
// timeout, then fewest retries) under which the migration finishes and the
// p99 added wait of the traffic stays at or under `target_p99_ms`; found is
// false when none does.
LockTimeoutAdvice recommend_lock_timeout(const TrafficProfile& traffic, const MigrationTimeline& timeline,
                                         const SimulationOptions& options, double target_p99_ms);

}  // namespace migsim::sim
