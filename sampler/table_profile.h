#pragma once
// What migsim knows about the source table and its server before sampling.

#include <optional>
#include <string>

#include "migration/plan.h"

namespace migsim::sampler {

struct ServerSettings {
  std::string version;                  // SELECT version()
  int version_num = 0;                  // server_version_num, e.g. 150018
  std::string shared_buffers;           // as SHOW prints them, e.g. "256MB"
  std::string maintenance_work_mem;
  std::string work_mem;
  std::string max_parallel_maintenance_workers;
  std::string max_wal_size;
  double max_wal_size_bytes = 0;
  double checkpoint_completion_target = 0.9;
  // What PostgreSQL plans an index build's parallel workers from, in the
  // units pg_settings gives them.
  int max_parallel_maintenance_workers_count = 2;
  double maintenance_work_mem_kb = 65536;
  double min_parallel_table_scan_pages = 1024;  // 8 kB blocks
  double shared_buffers_pages = 16384;          // NBuffers: a larger table's scans go through a ring
  // Where a long write's WAL segment files come from (estimators::wal_segments).
  double wal_segment_bytes = 0;  // wal_segment_size; 0 when not read
  double min_wal_size_bytes = 0;
  bool wal_init_zero = true;     // a segment created is written full of zeros first
  bool wal_recycle = true;       // a checkpoint renames old segments for reuse (off: removes them)
  // Recycled segment files in pg_wal ahead of the insert position; -1 when
  // not readable (pg_ls_waldir needs superuser or pg_monitor; not on a standby).
  int wal_segments_ahead = -1;
};

struct TableProfile {
  std::string schema;
  std::string name;
  double rows = 0;                 // estimated live rows
  std::string rows_source;         // "pg_class.reltuples" or "count(*)"
  long long table_bytes = 0;       // heap + TOAST + FSM + VM (pg_table_size)
  long long index_bytes = 0;       // pg_indexes_size
  long long total_bytes = 0;       // pg_total_relation_size
  int index_count = 0;
  // Bytes of the indexes whose order is not the table's (leading column's
  // |pg_stats.correlation| below 0.9, an expression, or no statistics): a
  // write to every row touches their pages in random order.
  long long unordered_index_bytes = 0;
  double avg_row_bytes = 0;        // table_bytes / rows
  double heap_pages = 0;           // main fork, 8 kB blocks
  int parallel_workers_option = -1;  // the table's parallel_workers storage parameter, -1 when unset
  ServerSettings server;
};

// The parallel workers PostgreSQL 15 plans for building a B-tree index on a
// table of `heap_pages` (plan_create_index_workers): with the table's
// parallel_workers storage parameter set, that, at most
// max_parallel_maintenance_workers; otherwise none below
// min_parallel_table_scan_size, one from there and one more each time the
// table is three times larger, at most max_parallel_maintenance_workers, then
// fewer until every participant (the workers and the leader) has 32 MB of
// maintenance_work_mem. Plain values in; no server.
int planned_index_workers(double heap_pages, int parallel_workers_option, int max_parallel_maintenance_workers,
                          double maintenance_work_mem_kb, double min_parallel_table_scan_pages);

// Reads the profile of `schema.name` (schema empty: resolved by the server's
// search_path) in a READ ONLY transaction with the given timeouts. When
// pg_class has never been analyzed, counts rows with count(*), still bounded by
// statement_timeout. Throws InputError when the table does not exist,
// DatabaseError for anything the server reports.
TableProfile profile_table(const std::string& dsn, const std::string& schema, const std::string& name,
                           int statement_timeout_ms, int lock_timeout_ms);

// Where the server's WAL stands: the recycled segment files ahead of the
// insert position (ServerSettings::wal_segments_ahead, -1 when not readable)
// and that position (pg_lsn text). For measuring a run's WAL from outside it.
struct WalPosition {
  int segments_ahead = -1;
  std::string insert_lsn;
};
WalPosition wal_position(const std::string& dsn);

// Bytes of WAL written on the server since `lsn` (a WalPosition's).
double wal_bytes_since(const std::string& dsn, const std::string& lsn);

// What `migsim plan` needs of the column `column` of `schema.name` (schema
// empty: the server's search_path): type, NOT NULL, default, the indexes on
// it that no constraint owns, and the constraints that use it (its own table's
// and foreign keys referencing it). nullopt when the table or the column does
// not exist. Read in a READ ONLY transaction with the given timeouts.
std::optional<migration::ColumnFacts> describe_column(const std::string& dsn, const std::string& schema,
                                                      const std::string& name, const std::string& column,
                                                      int statement_timeout_ms, int lock_timeout_ms);

}  // namespace migsim::sampler
