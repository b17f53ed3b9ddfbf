#pragma once
// The estimate pipeline (DESIGN.md): target table, profile, samples, forecasts,
// lock holds, verdict. Orchestration only; each step lives in its module.

#include <string>

#include "estimators/forecast.h"
#include "migration/migration.h"
#include "reports/estimate_report.h"
#include "sampler/sampler.h"

namespace migsim::app {

struct EstimateOptions {
  std::string dsn;    // libpq connection string or URI; empty: PG* environment variables
  std::string table;  // "name" or "schema.name"; empty: inferred from the migration
  sampler::SamplingOptions sampling;
  estimators::Thresholds thresholds;
};

// The table the migration changes: `requested` when given (it must be one the
// migration changes), else the only one it changes. Throws
// sampler::InputError when there is none, or several and none was requested.
migration::RelationRef target_table(const migration::Migration& migration, const std::string& requested);

// Runs the pipeline against the server. Throws the modules' errors.
reports::EstimateReport estimate(const migration::Migration& migration, const EstimateOptions& options);

// Fills the report's totals, lock holds and verdict from its statements'
// forecasts (also after actual times are added).
void summarize(reports::EstimateReport& report);

}  // namespace migsim::app
