#include "sampler/table_profile.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sampler/connection.h"

namespace migsim::sampler {

using detail::Connection;
using detail::guarded;

namespace {

// The source's timeouts on a read transaction, and the table's name as to_regclass() takes it.
std::string limited(pqxx::read_transaction& tx, Connection& conn, const std::string& schema, const std::string& name,
                    int statement_timeout_ms, int lock_timeout_ms) {
  tx.exec_params("SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
                 std::to_string(statement_timeout_ms), std::to_string(lock_timeout_ms));
  return schema.empty() ? tx.quote_name(name) : detail::quote_qualified(conn.raw(), schema, name);
}

// pg_wal's recycled segment files ahead of the insert position, -1 when the
// role may not list pg_wal (pg_ls_waldir() is for superusers and pg_monitor;
// its permission is checked when a query starts, so in a query of its own) or
// on a standby (pg_current_wal_insert_lsn() fails there).
int segments_ahead(pqxx::transaction_base& tx) {
  if (!tx.exec1("SELECT NOT pg_is_in_recovery() AND has_function_privilege('pg_ls_waldir()', 'EXECUTE')")[0]
           .as<bool>()) {
    return -1;
  }
  return tx.exec1("SELECT count(*)::int FROM pg_ls_waldir() w WHERE w.name ~ '^[0-9A-F]{24}$' "
                  "AND w.name > pg_walfile_name(pg_current_wal_insert_lsn())")[0]
      .as<int>();
}

}  // namespace

WalPosition wal_position(const std::string& dsn) {
  Connection conn(dsn);
  return guarded("reading the WAL's position", [&] {
    pqxx::read_transaction tx(conn.raw());
    WalPosition p;
    p.segments_ahead = segments_ahead(tx);
    p.insert_lsn = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
    tx.commit();
    return p;
  });
}

double wal_bytes_since(const std::string& dsn, const std::string& lsn) {
  Connection conn(dsn);
  return guarded("reading the WAL's position", [&] {
    pqxx::read_transaction tx(conn.raw());
    const double bytes =
        tx.exec_params1("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::float8", lsn)[0].as<double>();
    tx.commit();
    return bytes;
  });
}

TableProfile profile_table(const std::string& dsn, const std::string& schema, const std::string& name,
                           int statement_timeout_ms, int lock_timeout_ms) {
  Connection conn(dsn);
  const std::string display = schema.empty() ? name : schema + "." + name;
  return guarded(fmt::format("reading the profile of table {}", display), [&] {
    pqxx::read_transaction tx(conn.raw());
    const std::string qualified = limited(tx, conn, schema, name, statement_timeout_ms, lock_timeout_ms);
    const pqxx::result r = tx.exec_params(
        "SELECT n.nspname, c.relname, c.reltuples::float8, c.relkind::text, "
        "       pg_table_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid), "
        "       (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid)::int "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass($1)",
        qualified);
    if (r.empty()) {
      throw InputError(fmt::format("table {} does not exist (looked up as {} on the server)", display, qualified));
    }
    const pqxx::row row = r[0];
    TableProfile p;
    p.schema = row[0].as<std::string>();
    p.name = row[1].as<std::string>();
    const std::string relkind = row[3].as<std::string>();
    if (relkind != "r") {
      throw InputError(fmt::format("{}.{} is not an ordinary table (relkind '{}'); partitioned tables, views and "
                                   "foreign tables are not supported yet",
                                   p.schema, p.name, relkind));
    }
    p.table_bytes = row[4].as<long long>();
    p.index_bytes = row[5].as<long long>();
    p.total_bytes = row[6].as<long long>();
    p.index_count = row[7].as<int>();
    const double reltuples = row[2].as<double>();
    const std::string table = detail::quote_qualified(conn.raw(), p.schema, p.name);
    if (reltuples >= 0) {
      p.rows = reltuples;
      p.rows_source = "pg_class.reltuples";
    } else {
      // Never vacuumed or analyzed: count, bounded by statement_timeout.
      p.rows = tx.exec1("SELECT count(*) FROM " + table)[0].as<double>();
      p.rows_source = "count(*)";
    }
    p.avg_row_bytes = p.rows > 0 ? static_cast<double>(p.table_bytes) / p.rows : 0;

    const pqxx::row s = tx.exec1(
        "SELECT version(), current_setting('server_version_num')::int, current_setting('shared_buffers'), "
        "       current_setting('maintenance_work_mem'), current_setting('work_mem'), "
        "       current_setting('max_parallel_maintenance_workers'), current_setting('max_wal_size'), "
        "       pg_size_bytes(current_setting('max_wal_size'))::float8, "
        "       current_setting('checkpoint_completion_target')::float8, "
        "       current_setting('max_parallel_maintenance_workers')::int, "
        "       (SELECT setting::float8 FROM pg_settings WHERE name = 'maintenance_work_mem'), "
        "       (SELECT setting::float8 FROM pg_settings WHERE name = 'min_parallel_table_scan_size'), "
        "       (SELECT setting::float8 FROM pg_settings WHERE name = 'shared_buffers')");
    p.server.version = s[0].as<std::string>();
    p.server.version_num = s[1].as<int>();
    p.server.shared_buffers = s[2].as<std::string>();
    p.server.maintenance_work_mem = s[3].as<std::string>();
    p.server.work_mem = s[4].as<std::string>();
    p.server.max_parallel_maintenance_workers = s[5].as<std::string>();
    p.server.max_wal_size = s[6].as<std::string>();
    p.server.max_wal_size_bytes = s[7].as<double>();
    p.server.checkpoint_completion_target = s[8].as<double>();
    p.server.max_parallel_maintenance_workers_count = s[9].as<int>();
    p.server.maintenance_work_mem_kb = s[10].as<double>();
    p.server.min_parallel_table_scan_pages = s[11].as<double>();
    p.server.shared_buffers_pages = s[12].as<double>();
    const pqxx::row wal = tx.exec1(
        "SELECT pg_size_bytes(current_setting('wal_segment_size'))::float8, current_setting('wal_init_zero') = 'on', "
        "       pg_size_bytes(current_setting('min_wal_size'))::float8, current_setting('wal_recycle') = 'on'");
    p.server.wal_segment_bytes = wal[0].as<double>();
    p.server.wal_init_zero = wal[1].as<bool>();
    p.server.min_wal_size_bytes = wal[2].as<double>();
    p.server.wal_recycle = wal[3].as<bool>();
    p.server.wal_segments_ahead = segments_ahead(tx);
    const pqxx::row heap = tx.exec_params1(
        "SELECT pg_relation_size(c.oid, 'main')::float8 / current_setting('block_size')::float8, "
        "       coalesce((SELECT option_value::int FROM pg_options_to_table(c.reloptions) "
        "                 WHERE option_name = 'parallel_workers'), -1) "
        "FROM pg_class c WHERE c.oid = $1::regclass",
        table);
    p.heap_pages = heap[0].as<double>();
    p.parallel_workers_option = heap[1].as<int>();
    p.unordered_index_bytes =
        tx.exec_params1("SELECT coalesce(sum(pg_relation_size(i.indexrelid)) FILTER ("
                        "         WHERE coalesce(abs(st.correlation), 0) < 0.9), 0)::bigint "
                        "FROM pg_index i "
                        "LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                        "LEFT JOIN pg_stats st ON st.schemaname = $2 AND st.tablename = $3 AND st.attname = a.attname AND NOT st.inherited "
                        "WHERE i.indrelid = $1::regclass",
                        table, p.schema, p.name)[0]
            .as<long long>();
    tx.commit();
    return p;
  });
}

int planned_index_workers(double heap_pages, int parallel_workers_option, int max_parallel_maintenance_workers,
                          double maintenance_work_mem_kb, double min_parallel_table_scan_pages) {
  if (max_parallel_maintenance_workers <= 0) return 0;
  if (parallel_workers_option >= 0) return std::min(parallel_workers_option, max_parallel_maintenance_workers);
  if (heap_pages < min_parallel_table_scan_pages) return 0;
  int workers = 1;
  for (double threshold = std::max(min_parallel_table_scan_pages, 1.0); heap_pages >= 3 * threshold && threshold < 1e12;
       threshold *= 3) {
    ++workers;
  }
  workers = std::min(workers, max_parallel_maintenance_workers);
  constexpr double kParticipantKb = 32768;  // 32 MB each
  while (workers > 0 && std::floor(maintenance_work_mem_kb / (workers + 1)) < kParticipantKb) --workers;
  return workers;
}

std::optional<migration::ColumnFacts> describe_column(const std::string& dsn, const std::string& schema,
                                                      const std::string& name, const std::string& column,
                                                      int statement_timeout_ms, int lock_timeout_ms) {
  Connection conn(dsn);
  const std::string display = schema.empty() ? name : schema + "." + name;
  return guarded(fmt::format("reading column {} of {}", column, display), [&]() -> std::optional<migration::ColumnFacts> {
    pqxx::read_transaction tx(conn.raw());
    const std::string qualified = limited(tx, conn, schema, name, statement_timeout_ms, lock_timeout_ms);
    const pqxx::result c = tx.exec_params(
        "SELECT a.attrelid::bigint, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "       pg_get_expr(d.adbin, d.adrelid) "
        "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
        qualified, column);
    if (c.empty()) return std::nullopt;
    migration::ColumnFacts f;
    const std::string oid = c[0][0].as<std::string>();
    const std::string attnum = c[0][1].as<std::string>();
    f.type = c[0][2].as<std::string>();
    f.not_null = c[0][3].as<bool>();
    f.default_expr = c[0][4].is_null() ? "" : c[0][4].as<std::string>();
    for (const pqxx::row& r : tx.exec_params(
             "SELECT ic.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
             "WHERE i.indrelid = $1::oid AND $2::int2 = ANY(i.indkey) "
             "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY ic.relname",
             oid, attnum)) {
      f.indexes.push_back({r[0].as<std::string>(), r[1].as<std::string>()});
    }
    for (const pqxx::row& r : tx.exec_params(
             "SELECT conname FROM pg_constraint WHERE (conrelid = $1::oid AND $2::int2 = ANY(conkey)) "
             "OR (confrelid = $1::oid AND $2::int2 = ANY(confkey)) ORDER BY conname",
             oid, attnum)) {
      f.constraints.push_back(r[0].as<std::string>());
    }
    tx.commit();
    return f;
  });
}

}  // namespace migsim::sampler
