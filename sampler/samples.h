#pragma once
// What the sampler observed: every run of every statement on every slice.

#include <optional>
#include <string>
#include <vector>

#include "sim/lock_mode.h"

namespace migsim::sampler {

struct ObservedLock {
  std::string relation;  // the source's name for the copy, e.g. "public.orders"
  sim::LockMode mode = sim::LockMode::AccessShare;
};

// One batch of a batched backfill on a copy.
struct BatchRun {
  long long limit = 0;    // the batch size asked for
  long long rows = 0;     // rows it wrote (and locked)
  double seconds = 0;     // the batch and its commit
};

// One statement, run once on one slice.
struct StatementRun {
  bool executed = false;        // false for BEGIN/COMMIT, which are not run
  double seconds = 0;           // statement + its commit, wall clock
  // The commit's share of `seconds` (the WAL flush, the old files' unlink).
  // A rolled-back run (SliceRun::rolled_back) has none of its own: it counts
  // the committed run's of the same slice, or, where every size's committed
  // run flushed little WAL, the median of theirs (see the sampler).
  double commit_seconds = 0;
  bool locks_observed = false;  // false outside a transaction (CONCURRENTLY, VACUUM)
  std::vector<ObservedLock> locks;
  bool rewrote = false;         // the table's relfilenode changed
  long long wal_bytes = 0;      // pg_current_wal_insert_lsn difference (cluster-wide)
  long long temp_bytes = 0;     // pg_stat_database.temp_bytes difference (whole database); the
                                // committed run's in a rolled-back run (statistics are flushed
                                // between transactions only)
  long long rows_affected = 0;
  std::vector<BatchRun> batches;  // a batched backfill's batches, in order (seconds is their sum)
  std::string batch_key;          // the column they paged by
  // The parallel workers an index build on the copy was given (the full
  // table's planned count; see the sampler), -1 when the statement builds none.
  int index_workers = -1;
  // SET NOT NULL that PostgreSQL skipped the scan for: the copy's valid CHECK
  // constraints prove the column has no NULLs (its DEBUG1 message said so).
  bool not_null_proven = false;
};

// The whole migration, run once on a copy of one slice.
struct SliceRun {
  long long rows = 0;   // rows in the copy
  long long bytes = 0;  // the slice's pg_table_size (heap, TOAST, FSM, VM), as the source's table_bytes
  int repeat = 0;       // 0-based
  // Run in one transaction and rolled back, so that the next repeat reuses
  // the copy (a migration of DDL that can run in a transaction block; see the
  // sampler). Its locks are not observed (the committed run's are); the last
  // repeat of each slice commits.
  bool rolled_back = false;
  std::vector<StatementRun> statements;  // parallel to Migration::statements
};

// How a slice compares with the source (from pg_stats of each).
struct SliceStats {
  long long rows = 0;
  double row_width_source = 0;  // sum of pg_stats.avg_width, bytes
  double row_width_slice = 0;
  struct Column {
    std::string name;
    double null_frac_source = 0;
    double null_frac_slice = 0;
  };
  std::vector<Column> columns;
  bool representative = true;   // width within 10 %, every null fraction within 10 points
};

// Up, then down, on one copy (`estimate --down`): what the way back restored.
struct RoundTrip {
  long long rows_before = 0;  // rows of the copy before up
  long long rows_after = 0;   // after down
  std::vector<std::string> schema_differences;  // "column x integer NOT NULL: now missing", ...
  std::vector<std::string> changed_columns;     // columns there before whose values differ after down (or are gone)
  bool schema_restored() const { return schema_differences.empty(); }
  bool data_intact() const { return rows_before == rows_after && changed_columns.empty(); }
};

// The source read the way its full-table statements read it (a sequential
// scan, no parallel workers: of its first pages, or where the last scan of
// it stopped), against the same read of the largest slice's copy, which is
// in memory: whether the table's pages come from storage. Measured when the
// table is above a quarter of shared_buffers, which PostgreSQL reads through
// a 256 kB ring, so the read takes no buffers from the server's working set.
struct ReadProbe {
  long long source_rows = 0;
  double source_pages = 0;            // rows read / the table's rows per page
  double source_seconds = 0;          // one read: a second would find the pages cached
  long long copy_rows = 0;            // the whole copy
  double copy_pages = 0;
  std::vector<double> copy_seconds;   // three reads; the fastest counts
};

struct Samples {
  std::string method;        // e.g. "SYSTEM" (TABLESAMPLE method) or "whole table"
  std::string method_reason;
  int seed = 0;
  int repeats = 0;            // runs per slice size, at most (see agreement)
  double agreement = 0;       // SamplingOptions::agreement as applied (0 when the runs rolled back on a shared copy)
  std::vector<long long> slice_rows;  // the ladder, as copied
  std::vector<long long> slice_bytes; // parallel to slice_rows: each slice's pg_table_size after VACUUM
  bool whole_table = false;           // the table was small enough to copy whole
  std::vector<SliceRun> runs;
  std::vector<SliceStats> slice_stats;  // one per slice, when the source has statistics
  std::vector<std::string> notes;     // things the user should know
  std::optional<RoundTrip> round_trip;  // SamplingOptions::round_trip: checked on the largest slice's last run
  std::optional<ReadProbe> source_read;  // see ReadProbe; none for a table within a quarter of shared_buffers
};

}  // namespace migsim::sampler
