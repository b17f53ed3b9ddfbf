#pragma once
// Measures a table's live traffic from the statistics views, for the lock
// simulator. Reads only statistics; takes no lock on the table.

#include <string>
#include <vector>

#include "sampler/sampler.h"
#include "sim/traffic.h"

namespace migsim::sampler {

struct TrafficMeasurement {
  sim::TrafficProfile profile;
  std::string schema;
  std::string table;
  double interval_s = 0;
  bool from_pg_stat_statements = false;
  std::vector<std::string> notes;  // assumptions the user should know about
};

// Samples pg_stat_user_tables (and pg_stat_statements when it is installed)
// twice, `interval_s` apart, and turns the differences into rates per class:
// reads (AccessShareLock) and writes (RowExclusiveLock), or one class per
// statement text from pg_stat_statements with its mean and p99 time. Open
// transactions holding a lock on the table for over a second become
// long_transactions. Throws InputError for a missing table, DatabaseError,
// Interrupted.
TrafficMeasurement measure_traffic(const std::string& dsn, const std::string& schema, const std::string& table,
                                   double interval_s, const ProgressFn& progress);

}  // namespace migsim::sampler
