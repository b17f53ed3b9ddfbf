#pragma once
// The result of `migsim estimate`: one object, from which every report format
// is rendered.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "estimators/batches.h"
#include "estimators/forecast.h"
#include "migration/lint.h"
#include "migration/migration.h"
#include "reports/gate.h"
#include "sampler/samples.h"
#include "sampler/table_profile.h"
#include "sim/simulator.h"

namespace migsim::reports {

inline constexpr int kSchemaVersion = 1;

// What the sampler saw a statement do on the copies.
struct Observed {
  bool runs = false;                       // it was executed at least once
  std::vector<sim::LockMode> lock_modes;   // modes seen in pg_locks on the copy (empty if not observable)
  bool locks_observable = false;
  bool rewrote = false;                    // relfilenode changed in any run
  double wal_bytes_per_row = 0;            // median over runs at the largest slice
  bool not_null_proven = false;            // in every run, SET NOT NULL skipped its scan (constraints prove it)
};

struct StatementEstimate {
  size_t index = 0;  // into Migration::statements
  estimators::Forecast forecast;
  double lock_hold_seconds = 0;
  std::optional<sim::LockMode> strongest_lock;  // from the static analysis
  Observed observed;
  std::optional<double> actual_seconds;          // demo --verify: the real full-size time
  // A batched backfill: the batches on the full table. `forecast`'s times are
  // then the whole run's (batches and pauses), and its locks are held one
  // batch at a time.
  std::optional<estimators::BatchForecast> batches;
  std::string batch_sql;  // one batch as a job runs it ($1: the last key of the previous batch)
};

// The lock simulator run on the estimate's lock timeline (`estimate --traffic`).
struct SimulationRun {
  std::string traffic_file;
  double target_p99_ms = 200;
  sim::SimulationResult result;
  sim::LockTimeoutAdvice advice;
};

// How long one lock on one relation is held, with its interval.
struct LockHoldEstimate {
  std::string relation;  // "schema.name" for the target, else as the migration names it
  sim::LockMode mode = sim::LockMode::AccessExclusive;
  double seconds = 0;
  double low_seconds = 0;
  double high_seconds = 0;
};

struct EstimateReport {
  migration::Migration migration;
  sampler::TableProfile table;
  sampler::Samples samples;
  std::vector<StatementEstimate> statements;
  double total_seconds = 0;
  double total_low_seconds = 0;
  double total_high_seconds = 0;
  std::map<sim::LockMode, double> max_lock_hold_seconds;
  std::vector<LockHoldEstimate> lock_holds;  // per relation and mode, in the order they are taken
  estimators::Thresholds thresholds;
  Verdict verdict = Verdict::ok;          // from the point estimate
  Verdict upper_verdict = Verdict::ok;    // from the interval's upper bound: "may exceed"
  std::vector<migration::Finding> findings;  // lint, with severities scaled to the table's size
  std::vector<std::string> notes;
  std::optional<double> actual_total_seconds;  // demo --verify
  std::optional<SimulationRun> simulation;     // estimate --traffic
  // estimate --down (or a down file found beside the migration): the way
  // back's own estimate (at most one), what running up then down on a copy
  // left different, and the steps of the migration that no down can undo.
  std::vector<EstimateReport> down;
  std::optional<sampler::RoundTrip> round_trip;
  std::vector<std::string> irreversible;
};

// One migration of a set: its estimate, or why it was not timed.
struct MigrationEntry {
  std::string file;
  std::optional<EstimateReport> report;
  std::string not_timed;  // when `report` is empty
};

// Several migrations (a folder, or a dump with several), estimated in the
// order they apply; each reported on its own, and the total.
struct EstimateSet {
  std::string source;  // the folder or file, or "<stdin>"
  std::string layout;  // flyway, golang-migrate, prisma, dbmate, sqitch, plain, alembic, rails, django
  std::string since;   // the git revision of --since, empty when not given
  std::vector<MigrationEntry> migrations;
  double total_seconds = 0;
  double total_low_seconds = 0;
  double total_high_seconds = 0;
  std::map<sim::LockMode, double> max_lock_hold_seconds;
  estimators::Thresholds thresholds;
  Verdict verdict = Verdict::ok;
  Verdict upper_verdict = Verdict::ok;
  std::vector<std::string> notes;
};

// `migsim compare`: several strategies for one change, side by side.
struct PhaseResult {
  std::string name;  // e.g. "expand"
  std::string file;
  bool same_deploy = false;  // ships with the phase before it
  std::optional<EstimateReport> report;  // with its simulation when --traffic was given
  std::string not_timed;                 // when `report` is empty
  // Filled by recommend(): its longest hold of a lock the traffic waits for,
  // and whether it keeps the traffic within its budget.
  double blocking_hold_seconds = 0;
  std::optional<sim::LockMode> blocking_mode;
  bool safe = true;
  bool needs_lock_timeout = false;  // safe only with the simulation's advice (its lock_timeout and retries)
};

struct StrategyResult {
  std::string name;
  std::string path;
  int deploys = 1;  // phases that are not same_deploy (at least 1)
  std::vector<PhaseResult> phases;
  double total_seconds = 0;  // every phase's time, one after another (time between deploys not counted)
  double total_low_seconds = 0;
  double total_high_seconds = 0;
  std::map<sim::LockMode, double> max_lock_hold_seconds;  // the longest hold of each mode, over its phases
  // The longest hold of a lock the table's traffic waits for (with --traffic:
  // a mode that conflicts with a traffic class's; otherwise one that
  // conflicts with writes, RowExclusiveLock), and that mode.
  double blocking_hold_seconds = 0;
  std::optional<sim::LockMode> blocking_mode;
  // Over its phases' simulations (when simulated).
  bool simulated = false;
  long long blocked_queries = 0;
  double worst_p99_wait_ms = 0;
  bool pool_exhausted = false;
  bool migration_gave_up = false;
  bool needs_lock_timeout = false;  // a phase is safe only with the simulation's lock_timeout and retries
  bool safe = false;  // the traffic keeps its latency budget (see recommend())
  Verdict verdict = Verdict::ok;  // from total_seconds
};

struct Comparison {
  std::string table;  // "schema.name"
  double table_rows = 0;
  std::vector<StrategyResult> strategies;
  std::string recommended;  // a strategy's name
  std::string reason;
  estimators::Thresholds thresholds;
  std::string traffic_file;    // empty without --traffic
  double target_p99_ms = 200;  // the traffic's latency budget
  Verdict verdict = Verdict::ok;  // the recommended strategy's: what the gate acts on
  std::vector<std::string> notes;
};

}  // namespace migsim::reports
