#pragma once
// Builds a table from a generator script (see datasets/), for the demo, the
// tests and the benchmarks. Only for databases migsim owns: it writes.

#include <string>
#include <vector>

#include "sampler/sampler.h"

namespace migsim::sampler {

struct GeneratorScript {
  std::string setup_sql;   // multi-statement: CREATE TABLE ...
  std::string batch_sql;   // one INSERT taking $1 (first id) and $2 (last id), inclusive
  std::string finish_sql;  // multi-statement: secondary indexes ...
};

// Runs setup, the batches for ids 1..rows (progress after each batch), finish,
// then VACUUM (ANALYZE) on `table` so its statistics and visibility map are
// current. Deterministic: the session's random seed is fixed.
void load_dataset(const std::string& dsn, const GeneratorScript& script, const std::string& table, long long rows,
                  const ProgressFn& progress);

}  // namespace migsim::sampler

namespace migsim::sampler {

// Runs `migration` for real on the tables it names, one statement per
// transaction as `measure` does, and returns each statement's wall seconds
// (0 for BEGIN/COMMIT, which are skipped). Only for a database migsim owns,
// such as the demo's throwaway server: this changes the table.
std::vector<double> run_in_place(const std::string& dsn, const migration::Migration& migration);

}  // namespace migsim::sampler
