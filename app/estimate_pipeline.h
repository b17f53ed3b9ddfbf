#pragma once
// The estimate pipeline (DESIGN.md): target table, profile, samples, forecasts,
// lock holds, verdict. Orchestration only; each step lives in its module.

#include <cstdint>
#include <string>
#include <vector>

#include "estimators/forecast.h"
#include "estimators/regimes.h"
#include "migration/migration.h"
#include "reports/estimate_report.h"
#include "sampler/sampler.h"
#include "sim/traffic.h"

namespace migsim::app {

struct EstimateOptions {
  std::string dsn;    // libpq connection string or URI; empty: PG* environment variables
  std::string table;  // "name" or "schema.name"; empty: inferred from the migration
  sampler::SamplingOptions sampling;
  estimators::Thresholds thresholds;
  double batch_target_seconds = 0.2;  // a batched backfill's batches should stay under this
};

// The table the migration changes: `requested` when given (it must be one the
// migration changes), else the only one it changes. Throws
// sampler::InputError when there is none, or several and none was requested.
migration::RelationRef target_table(const migration::Migration& migration, const std::string& requested);

// Runs the pipeline against the server. Throws the modules' errors.
reports::EstimateReport estimate(const migration::Migration& migration, const EstimateOptions& options);

// The migration and its way back, run one after the other on the same
// copies: each estimated on its own (the result's `down`), the copy's catalog
// and rows compared before up and after down on the largest slice
// (`round_trip`), and the up migration's steps that lose data flagged
// (`irreversible`: dropped columns or tables, TRUNCATE, and the rows and
// column values the round trip did not bring back).
reports::EstimateReport estimate_with_down(const migration::Migration& up, const migration::Migration& down,
                                           const EstimateOptions& options);

// The part of a report on several migrations run one after another that
// belongs to `m`, whose statements are [first, first + m's count) of the
// merged migration, as the report of `m` alone.
reports::EstimateReport part_of(const reports::EstimateReport& merged, const migration::Migration& m, size_t first);

// From the samples (and the table's profile and the server's settings) in
// `report` to each statement's forecast, with the regimes the slices cannot
// show and the notes that explain them; then summarize(). What estimate()
// does once the sampler is done.
void forecast_statements(reports::EstimateReport& report, double batch_target_seconds = 0.2);

// estimators::wal_segments of a write of `wal_bytes` on `server`, from
// `segments_ahead` recycled segment files (-1: not counted).
estimators::WalSegments wal_segments_on(const sampler::ServerSettings& server, double wal_bytes, int segments_ahead);

// Fills the report's totals, lock holds and verdicts from its statements'
// forecasts (also after actual times are added).
void summarize(reports::EstimateReport& report);

// Several migrations, in the order they apply (each already without its
// tool's bookkeeping statements). Migrations that change the same table are
// run one after another on the same copies (a later one may need a column an
// earlier one adds) and reported each on its own; a migration that only
// touches tables created earlier in the set (empty when it runs) is listed as
// not timed. `options.table` picks the table of a migration that changes
// several. Throws what estimate() throws.
reports::EstimateSet estimate_set(const std::vector<migration::Migration>& migrations, const EstimateOptions& options);

// Totals, the largest lock holds and the verdicts of a set from its reports.
void summarize(reports::EstimateSet& set);

// Runs the lock simulator on the report's lock timeline against `traffic` and
// keeps the result in the report.
void add_simulation(reports::EstimateReport& report, const sim::TrafficProfile& traffic, const std::string& traffic_file,
                    double target_p99_ms, std::uint64_t seed = 1);

}  // namespace migsim::app
