#include "sampler/sampler.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pqxx/errorhandler>

#include "sampler/connection.h"
#include "sampler/slice_copy.h"

namespace migsim::sampler {

bool plan_uses_statistics(const migration::Statement& st) {
  if (st.node != "UpdateStmt" || st.dml_rows != "all" || st.update.has_from || st.update.has_subquery ||
      st.locks.size() != 1) {
    return true;
  }
  return !std::all_of(st.functions.begin(), st.functions.end(), known_side_effect_free);
}

namespace {

using namespace detail;  // Connection, guarded and the slice copy (slice_copy.h)
using Clock = std::chrono::steady_clock;

constexpr long long kWholeTableBelow = 1'000;
constexpr long long kMinLargestSlice = 5'000;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void say(const SamplingOptions& o, const Progress& line) {
  if (o.progress) o.progress(line);
}

// The scratch schema: created on construction, dropped (CASCADE) on
// destruction, whatever happened in between.
class ScratchSchema {
 public:
  ScratchSchema(Connection& conn, std::string dsn, const SamplingOptions& options)
      : conn_(conn), dsn_(std::move(dsn)), options_(options) {
    name_ = fmt::format("migsim_scratch_{}_{}", conn.backend_pid(), static_cast<long long>(std::time(nullptr)));
    guarded("creating the scratch schema", [&] {
      pqxx::work tx(conn_.raw());
      tx.exec0("CREATE SCHEMA " + tx.quote_name(name_));
      tx.exec0("COMMENT ON SCHEMA " + tx.quote_name(name_) +
               " IS 'migsim scratch copy; safe to drop when no migsim run is active'");
      tx.commit();
    });
  }
  ~ScratchSchema() {
    const std::string sql = "DROP SCHEMA IF EXISTS " + conn_.raw().quote_name(name_) + " CASCADE";
    try {
      pqxx::nontransaction tx(conn_.raw());
      tx.exec0(sql);
      return;
    } catch (const std::exception&) {
      // The connection may be broken or mid-cancel: try a fresh one.
    }
    try {
      pqxx::connection c{dsn_};
      pqxx::nontransaction tx(c);
      tx.exec0(sql);
    } catch (const std::exception& e) {
      say(options_, fmt::format("warning: could not drop scratch schema {} ({}); the next migsim run against this "
                                "database removes it",
                                name_, e.what()));
    }
  }
  ScratchSchema(const ScratchSchema&) = delete;
  ScratchSchema& operator=(const ScratchSchema&) = delete;
  const std::string& name() const { return name_; }

 private:
  Connection& conn_;
  std::string dsn_;
  const SamplingOptions& options_;
  std::string name_;
};

// Temporary file bytes written in this database so far (sorts and hashes
// that spilled past work_mem / maintenance_work_mem). Cumulative statistics
// are flushed when a backend goes idle, at most once a second unless forced:
// force this backend's, then read past the statistics snapshot.
long long temp_bytes(Connection& conn) {
  {
    pqxx::work tx(conn.raw());
    tx.exec("SET LOCAL statement_timeout = 0; SELECT pg_stat_force_next_flush()");
    tx.commit();
  }
  pqxx::work tx(conn.raw());
  tx.exec("SET LOCAL statement_timeout = 0");
  const long long bytes = tx.exec1("SELECT pg_stat_clear_snapshot(), temp_bytes FROM pg_stat_database "
                                   "WHERE datname = current_database()")[1]
                              .as<long long>();
  tx.commit();
  return bytes;
}

// Relation locks this backend holds, other than AccessShareLock, on
// relations that exist and belong to something outside the scratch schema and
// the system catalogs. An index belongs to its table, a TOAST table (or its
// index) to the table it stores values for.
constexpr const char* kFenceQuery =
    "WITH held AS ("
    "  SELECT l.relation, l.mode FROM pg_locks l "
    "  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.mode <> 'AccessShareLock'), "
    "owned AS ("
    "  SELECT h.relation, h.mode, coalesce((SELECT o.oid FROM pg_class o "
    "                                       WHERE o.reltoastrelid = coalesce(i.indrelid, h.relation)), "
    "                                      i.indrelid, h.relation) AS owner "
    "  FROM held h LEFT JOIN pg_index i ON i.indexrelid = h.relation) "
    "SELECT n.nspname || '.' || c.relname, ow.mode "
    "FROM owned ow JOIN pg_class c ON c.oid = ow.owner JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname NOT IN ($1, 'pg_catalog', 'information_schema')";

struct RunContext {
  Connection& work;
  const migration::Migration& migration;
  const TableProfile& table;
  const SourceStructure& structure;
  std::string scratch;
  const SamplingOptions& options;
  std::string dsn;          // of `work`'s server: where each run opens its own session
  long long table_oid = 0;  // the work copy, stable across rewrites
};

[[noreturn]] void statement_failed(const RunContext& ctx, const migration::Statement& st) {
  try {
    detail::rethrow_as_database_error("");
  } catch (const DatabaseError& e) {
    std::string msg = e.what();
    if (msg.rfind(": ", 0) == 0) msg = msg.substr(2);
    throw DatabaseError(fmt::format("{}: the statement failed on the scratch copy of {}.{}: {}",
                                    migration::location(ctx.migration, st), ctx.table.schema, ctx.table.name, msg));
  }
}

// migsim's own queries around a statement run with no timeouts, whatever the
// migration SET on the session before (a migration's `SET statement_timeout`
// is for its own statements).
void own_limits(pqxx::transaction_base& tx) { tx.exec("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0"); }

// Within the statement's transaction, after it ran: a write lock outside the
// scratch schema rolls the transaction back and stops the run.
void fence(const RunContext& ctx, const migration::Statement& st, pqxx::work& tx) {
  const pqxx::result outside = tx.exec_params(kFenceQuery, ctx.scratch);
  if (!outside.empty()) {
    tx.abort();
    throw UnsafeMigration(fmt::format(
        "{}: the statement took {} on {}, outside the scratch copy; migsim rolled it back and stopped",
        migration::location(ctx.migration, st), outside[0][1].as<std::string>(), outside[0][0].as<std::string>()));
  }
}

// Within the statement's transaction, after it ran: the locks it holds on
// the copy, and the fence.
void observe_locks_and_fence(const RunContext& ctx, const migration::Statement& st, pqxx::work& tx, StatementRun& run) {
  run.locks_observed = true;
  for (const pqxx::row& l : tx.exec_params("SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND "
                                           "locktype = 'relation' AND relation = $1::oid AND granted",
                                           std::to_string(ctx.table_oid))) {
    if (auto mode = sim::parse_lock_mode(l[0].as<std::string>())) {
      const ObservedLock seen{ctx.table.schema + "." + ctx.table.name, *mode};
      if (std::none_of(run.locks.begin(), run.locks.end(), [&](const ObservedLock& o) { return o.mode == seen.mode; })) {
        run.locks.push_back(seen);
      }
    }
  }
  fence(ctx, st, tx);
}

// The column a batched backfill pages by: the directive's key, else the
// copy's single-column primary key.
std::string batch_key(const RunContext& ctx, const migration::Statement& st) {
  if (!st.batching->key.empty()) return st.batching->key;
  pqxx::work tx(ctx.work.raw());
  own_limits(tx);
  const pqxx::result pk = tx.exec_params(
      "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
      "WHERE i.indrelid = $1::oid AND i.indisprimary",
      std::to_string(ctx.table_oid));
  tx.commit();
  if (pk.size() != 1) {
    throw InputError(fmt::format("{}: a batched backfill pages by a single-column primary key, and {}.{} has {}; "
                                 "name the column to page by with key=COLUMN on its -- migsim:backfill line",
                                 migration::location(ctx.migration, st), ctx.table.schema, ctx.table.name,
                                 pk.empty() ? std::string("none") : fmt::format("a {}-column one", pk.size())));
  }
  return pk[0][0].as<std::string>();
}

// A batched backfill on the copy, batch after batch in transactions of their
// own (no pauses: they are added when pricing it), to the end of the table.
// The batch size cycles through 1/4, 1/2, 1 and 2 times the declared one, so
// the batches show how a batch's time grows with its size; each batch's
// rows and seconds are kept.
void run_batches(RunContext& ctx, const migration::Statement& st, StatementRun& run) {
  const std::string key = batch_key(ctx, st);
  run.batch_key = key;
  auto redirected = [&](bool first) {
    const migration::Migration one =
        migration::parse_migration(migration::batch_update_sql(ctx.migration, st, key, "$2", first), "batch");
    // The keys it wrote come back as the batch's largest (the next batch starts after it) and count.
    return fmt::format("WITH migsim_batch AS ({}) SELECT max({})::text, count(*) FROM migsim_batch",
                       migration::redirect_relations(one.statements.at(0), [&](const migration::RelationRef&) {
                         return detail::quote_qualified(ctx.work.raw(), ctx.scratch, ctx.table.name);
                       }),
                       ctx.work.raw().quote_name(key));
  };
  const std::string first_sql = redirected(true);
  const std::string next_sql = redirected(false);
  std::string lowest;
  {
    pqxx::work tx(ctx.work.raw());
    own_limits(tx);
    const pqxx::row r = tx.exec1(fmt::format("SELECT min({})::text FROM {}", tx.quote_name(key),
                                             detail::quote_qualified(ctx.work.raw(), ctx.scratch, ctx.table.name)));
    tx.commit();
    if (r[0].is_null()) return;  // an empty copy: nothing to write
    lowest = r[0].as<std::string>();
  }
  const long long declared = st.batching->batch_rows;
  const long long sizes[] = {std::max(1LL, declared / 4), std::max(1LL, declared / 2), declared, 2 * declared};
  std::string last = lowest;
  for (size_t k = 0;; ++k) {
    throw_if_interrupted();
    const long long size = sizes[k % 4];
    pqxx::work tx(ctx.work.raw());
    const auto t0 = Clock::now();
    const pqxx::row batch = tx.exec_params1(k == 0 ? first_sql : next_sql, last, size);
    const long long rows = batch[1].as<long long>();
    const auto t1 = Clock::now();
    own_limits(tx);
    observe_locks_and_fence(ctx, st, tx, run);
    const auto t2 = Clock::now();
    tx.commit();
    const double commit = seconds_between(t2, Clock::now());
    const double seconds = seconds_between(t0, t1) + commit;
    run.seconds += seconds;
    run.commit_seconds += commit;
    if (rows == 0) break;
    run.rows_affected += rows;
    run.batches.push_back({size, rows, seconds});
    last = batch[0].as<std::string>();
  }
}

// SET NOT NULL scans the table unless valid CHECK constraints prove the
// column has no NULLs; which one happened shows only at run time.
bool sets_not_null(const migration::Statement& st) {
  return std::any_of(st.actions.begin(), st.actions.end(),
                     [](const migration::Action& a) { return a.kind == "ALTER COLUMN SET NOT NULL"; });
}

// The server's messages to a session (NOTICE, and DEBUG1 where asked for), while it lives.
class ServerMessages final : public pqxx::errorhandler {
 public:
  explicit ServerMessages(pqxx::connection_base& c) : pqxx::errorhandler(c) {}
  bool operator()(const char msg[]) noexcept override {
    try {
      messages_.emplace_back(msg);
    } catch (...) {  // out of memory: the message is lost, nothing else
    }
    return true;
  }
  bool contains(std::string_view text) const {
    return std::any_of(messages_.begin(), messages_.end(),
                       [&](const std::string& m) { return m.find(text) != std::string::npos; });
  }

 private:
  std::vector<std::string> messages_;
};

// The planner settings that leave `join` ("Hash Join", "Merge Join" or
// "Nested Loop") the only join method.
std::vector<std::string> join_settings_off(const std::string& join) {
  std::vector<std::string> off;
  if (join != "Nested Loop") off.push_back("enable_nestloop");
  if (join != "Hash Join") off.push_back("enable_hashjoin");
  if (join != "Merge Join") off.push_back("enable_mergejoin");
  return off;
}

// Statements that build indexes: CREATE INDEX and the rebuilds of a rewrite.
bool builds_indexes(const migration::Statement& st) {
  return st.effect == migration::Effect::index_build || st.effect == migration::Effect::rewrite;
}

// An index build on the full table runs with the parallel workers PostgreSQL
// plans for its size; a slice, left alone, would get fewer or none (a 10,000-row
// copy is below min_parallel_table_scan_size), and its time would be that of
// another regime. The copy's parallel_workers storage parameter makes every
// slice build with the full table's count. The settings are the source's,
// except those the migration itself SET on this session (which differ from
// what RESET would restore).
int plan_index_workers(RunContext& ctx, pqxx::work& tx) {
  const ServerSettings& source = ctx.table.server;
  int max_workers = source.max_parallel_maintenance_workers_count;
  double memory_kb = source.maintenance_work_mem_kb;
  double min_scan_pages = source.min_parallel_table_scan_pages;
  for (const pqxx::row& r : tx.exec("SELECT name, setting::float8 FROM pg_settings WHERE setting IS DISTINCT FROM reset_val "
                                    "AND name IN ('max_parallel_maintenance_workers', 'maintenance_work_mem', "
                                    "'min_parallel_table_scan_size')")) {
    const std::string name = r[0].as<std::string>();
    const double value = r[1].as<double>();
    if (name == "max_parallel_maintenance_workers") max_workers = static_cast<int>(value);
    else if (name == "maintenance_work_mem") memory_kb = value;
    else min_scan_pages = value;
  }
  const int workers = planned_index_workers(ctx.table.heap_pages, ctx.table.parallel_workers_option, max_workers,
                                            memory_kb, min_scan_pages);
  tx.exec0(fmt::format("ALTER TABLE {} SET (parallel_workers = {})",
                       detail::quote_qualified(ctx.work.raw(), ctx.scratch, ctx.table.name), workers));
  return workers;
}

// Validating a foreign key is an anti-join of the table with the table it
// references, whose method PostgreSQL chooses from their sizes. A slice of a
// few thousand rows against a referenced table of tens of thousands gets a
// nested loop that probes the key's index once per row; the full table, a
// hash join that reads the referenced table once. 5,000 rows of
// datasets/events against 100,000 accounts took 3.2-6.3 us per row that way;
// the check of the benchmark's 100,000-row events table (50,000 accounts)
// took 0.7, and the fit of its slices (up to 5,147 rows) came out 4.6 times
// too high. So the join the full table's check plans (by EXPLAIN on the
// source) is the one each copy plans: the other two methods are off for the
// statement. The fixed part of a hash join (hashing the referenced table,
// which a new key's copies hold whole) then shows in every slice, as it will
// on the full table.
void plan_foreign_key_checks(Connection& source, const TableProfile& table, const migration::Migration& migration,
                             SourceStructure& structure, const SamplingOptions& options, Samples& samples) {
  for (size_t i = 0; i < migration.statements.size(); ++i) {
    const migration::Statement& st = migration.statements[i];
    for (const migration::Action& a : st.actions) {
      std::optional<ForeignKeyCheck> check;
      if (a.kind == "ADD FOREIGN KEY") {
        check = guarded("reading the table a new foreign key references", [&] { return new_foreign_key(source, a, options); });
      } else if (a.kind == "VALIDATE CONSTRAINT") {
        for (const ForeignKey& fk : structure.foreign_keys) {
          if (fk.name != a.constraint) continue;
          check = ForeignKeyCheck{quote_qualified(source.raw(), fk.ref_schema, fk.ref_table), fk.columns, fk.ref_columns};
          break;
        }
      }
      if (!check) continue;
      std::string join;
      try {
        join = guarded("planning a foreign key's check on the source",
                       [&] { return foreign_key_join(source, table, *check, options); });
      } catch (const DatabaseError& e) {
        // Not a reason to give up the estimate: the copies plan it by their own sizes.
        samples.notes.push_back(fmt::format("statement {} (line {}) validates a foreign key, whose check could not be "
                                            "planned on the source ({}); each copy planned its own join",
                                            i + 1, st.line, e.what()));
        continue;
      }
      if (join.empty()) continue;
      structure.foreign_key_joins[i] = join;
      std::string off;
      for (const std::string& setting : join_settings_off(join)) off += (off.empty() ? "" : " and ") + setting;
      samples.notes.push_back(fmt::format("statement {} (line {}) validates a foreign key: on the full table PostgreSQL "
                                          "checks it with a {} (EXPLAIN of the check on the source), so each copy "
                                          "checked it with one too ({} off for the statement), whatever its own "
                                          "size would have chosen",
                                          i + 1, st.line, join, off));
    }
  }
}

// The statement's foreign key check's join on the full table, if it has one.
const std::string* forced_join(const RunContext& ctx, const migration::Statement& st) {
  const auto it = ctx.structure.foreign_key_joins.find(static_cast<size_t>(&st - ctx.migration.statements.data()));
  return it == ctx.structure.foreign_key_joins.end() ? nullptr : &it->second;
}

// The statement's SQL with every table it names redirected to its copy.
std::string redirected_sql(const RunContext& ctx, const migration::Statement& st) {
  // An index renamed by its unqualified name resolves to the copy's index in the scratch schema.
  if (st.kind == "ALTER INDEX RENAME TO") return st.sql;
  return migration::redirect_relations(st, [&](const migration::RelationRef& r) {
    // check_runnable() made sure every reference is to the target or to a copied referenced table.
    const std::string copy = referenced_copy(ctx.structure, ctx.work.raw(), ctx.scratch, r);
    return copy.empty() ? detail::quote_qualified(ctx.work.raw(), ctx.scratch, ctx.table.name) : copy;
  });
}

long long copy_filenode(const RunContext& ctx, pqxx::transaction_base& tx) {
  return tx.exec_params1("SELECT coalesce(pg_relation_filenode($1::oid), 0)::bigint", std::to_string(ctx.table_oid))[0]
      .as<long long>();
}

long long wal_since(pqxx::transaction_base& tx, const std::string& lsn) {
  return tx.exec_params1("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::bigint", lsn)[0]
      .as<long long>();
}

// Runs `f` (migsim's own queries) inside the migration's transaction without
// timeouts, and gives the migration its own values back afterwards (a
// `SET statement_timeout` it made holds for its later statements).
template <typename F>
void between_statements(pqxx::work& tx, F&& f) {
  const pqxx::row saved = tx.exec1("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')");
  tx.exec("SELECT set_config('statement_timeout', '0', true), set_config('lock_timeout', '0', true)");
  f();
  tx.exec_params("SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
                 saved[0].as<std::string>(), saved[1].as<std::string>());
}

// A statement of a rolled-back run, in `tx`, the migration's one transaction
// (see copy_reusable): timed without a commit; the fence, the WAL and the
// rewrite as in a committed run. Its locks are not observed (pg_locks would
// show the earlier statements' too); its temp files are the committed run's.
StatementRun run_statement_in(RunContext& ctx, const migration::Statement& st, pqxx::work& tx) {
  StatementRun run;
  if (st.is_transaction_control) return run;
  const std::string sql = redirected_sql(ctx, st);
  run.executed = true;
  std::string lsn_before;
  std::string messages_level;
  long long filenode_before = 0;
  guarded("observing the copy before a statement", [&] {
    between_statements(tx, [&] {
      if (builds_indexes(st)) run.index_workers = plan_index_workers(ctx, tx);
      filenode_before = copy_filenode(ctx, tx);
      lsn_before = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
    });
  });
  try {
    std::optional<ServerMessages> messages;
    if (sets_not_null(st)) {
      messages.emplace(ctx.work.raw());
      messages_level = tx.exec1("SELECT current_setting('client_min_messages')")[0].as<std::string>();
      tx.exec("SELECT set_config('client_min_messages', 'debug1', true)");
    }
    // For this statement only: the transaction goes on with the migration's next one.
    std::vector<std::pair<std::string, std::string>> joins_before;
    if (const std::string* join = forced_join(ctx, st)) {
      for (const std::string& setting : join_settings_off(*join)) {
        joins_before.emplace_back(setting, tx.exec_params1("SELECT current_setting($1)", setting)[0].as<std::string>());
        tx.exec_params("SELECT set_config($1, 'off', true)", setting);
      }
    }
    const auto t0 = Clock::now();
    run.rows_affected = tx.exec(sql).affected_rows();
    run.seconds = seconds_between(t0, Clock::now());
    for (const auto& [setting, value] : joins_before) tx.exec_params("SELECT set_config($1, $2, true)", setting, value);
    if (messages) {
      run.not_null_proven = messages->contains("are sufficient to prove that it does not contain nulls");
      tx.exec_params("SELECT set_config('client_min_messages', $1, true)", messages_level);
    }
  } catch (const Interrupted&) {
    throw;
  } catch (...) {
    statement_failed(ctx, st);
  }
  guarded("observing the copy after a statement", [&] {
    between_statements(tx, [&] {
      fence(ctx, st, tx);
      run.wal_bytes = wal_since(tx, lsn_before);
      const long long filenode_after = copy_filenode(ctx, tx);
      run.rewrote = filenode_before != 0 && filenode_after != 0 && filenode_before != filenode_after;
    });
  });
  return run;
}

StatementRun run_statement(RunContext& ctx, const migration::Statement& st) {
  StatementRun run;
  if (st.is_transaction_control) return run;  // each statement runs in its own transaction
  const std::string sql = redirected_sql(ctx, st);
  run.executed = true;
  // Before: in a transaction of migsim's own.
  long long filenode_before = 0;
  std::string lsn_before;
  guarded("observing the copy before a statement", [&] {
    pqxx::work tx(ctx.work.raw());
    own_limits(tx);
    if (builds_indexes(st)) run.index_workers = plan_index_workers(ctx, tx);
    filenode_before = copy_filenode(ctx, tx);
    lsn_before = tx.exec1("SELECT pg_current_wal_insert_lsn()::text")[0].as<std::string>();
    tx.commit();
  });
  const long long temp_before = guarded("reading temp file statistics", [&] { return temp_bytes(ctx.work); });

  long long filenode_after = 0;
  try {
    if (st.batching) {
      run_batches(ctx, st, run);
    } else if (st.in_transaction_block_allowed) {
      pqxx::work tx(ctx.work.raw());
      std::optional<ServerMessages> messages;
      if (sets_not_null(st)) {
        // PostgreSQL says at DEBUG1 when existing constraints spare it the scan.
        messages.emplace(ctx.work.raw());
        tx.exec0("SET LOCAL client_min_messages = debug1");
      }
      if (const std::string* join = forced_join(ctx, st)) {
        for (const std::string& setting : join_settings_off(*join)) tx.exec0("SET LOCAL " + setting + " = off");
      }
      const auto t0 = Clock::now();
      run.rows_affected = tx.exec(sql).affected_rows();
      const auto t1 = Clock::now();
      run.not_null_proven = messages && messages->contains("are sufficient to prove that it does not contain nulls");
      own_limits(tx);
      observe_locks_and_fence(ctx, st, tx, run);
      filenode_after = copy_filenode(ctx, tx);
      const auto t2 = Clock::now();
      tx.commit();
      run.commit_seconds = seconds_between(t2, Clock::now());
      run.seconds = seconds_between(t0, t1) + run.commit_seconds;
    } else {
      pqxx::nontransaction tx(ctx.work.raw());
      const auto t0 = Clock::now();
      run.rows_affected = tx.exec(sql).affected_rows();
      run.seconds = seconds_between(t0, Clock::now());
    }
  } catch (const UnsafeMigration&) {
    throw;
  } catch (const Interrupted&) {
    throw;
  } catch (...) {
    statement_failed(ctx, st);
  }
  guarded("observing the copy after a statement", [&] {
    pqxx::work tx(ctx.work.raw());
    own_limits(tx);
    if (!st.in_transaction_block_allowed || st.batching) filenode_after = copy_filenode(ctx, tx);
    run.wal_bytes = wal_since(tx, lsn_before);
    tx.commit();
  });
  run.temp_bytes = std::max(0LL, guarded("reading temp file statistics", [&] { return temp_bytes(ctx.work); }) -
                                     temp_before);
  run.rewrote = filenode_before != 0 && filenode_after != 0 && filenode_before != filenode_after;
  return run;
}

// The copy's catalog and, for `columns` (empty: every column), its rows:
// what a round trip must leave as it found.
struct CopyState {
  std::vector<std::pair<std::string, std::string>> catalog;  // (what, description), e.g. ("column x", "integer NOT NULL")
  long long rows = 0;
  std::map<std::string, std::string> checksums;  // column -> order-independent checksum of its values
};

CopyState copy_state(const RunContext& ctx, const std::vector<std::string>& columns) {
  pqxx::work tx(ctx.work.raw());
  own_limits(tx);
  const std::string oid = std::to_string(ctx.table_oid);
  CopyState s;
  for (const pqxx::row& r : tx.exec_params(
           "SELECT 'column ' || a.attname, format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT "
           "NULL' ELSE '' END || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') "
           "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
           "WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped "
           "UNION ALL SELECT 'constraint ' || conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = $1::oid "
           "UNION ALL SELECT 'index ' || c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c "
           "ON c.oid = i.indexrelid WHERE i.indrelid = $1::oid "
           "UNION ALL SELECT 'trigger ' || tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = $1::oid "
           "AND NOT tgisinternal ORDER BY 1",
           oid)) {
    s.catalog.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
  }
  std::vector<std::string> wanted = columns;
  if (wanted.empty()) {
    for (const auto& [what, description] : s.catalog) {
      if (what.rfind("column ", 0) == 0) wanted.push_back(what.substr(7));
    }
  }
  const std::string table = detail::quote_qualified(ctx.work.raw(), ctx.scratch, ctx.table.name);
  std::string select = "count(*)::text";
  std::vector<std::string> present;
  for (const std::string& c : wanted) {
    const bool exists = std::any_of(s.catalog.begin(), s.catalog.end(), [&](const auto& e) { return e.first == "column " + c; });
    if (!exists) continue;
    present.push_back(c);
    select += fmt::format(", coalesce(sum(hashtextextended(coalesce({}::text, E'\\x01'), 0)::numeric), 0)::text",
                          tx.quote_name(c));
  }
  const pqxx::row r = tx.exec1(fmt::format("SELECT {} FROM {}", select, table));
  s.rows = r[0].as<long long>();
  for (size_t i = 0; i < present.size(); ++i) s.checksums[present[i]] = r[static_cast<int>(i + 1)].as<std::string>();
  tx.commit();
  return s;
}

RoundTrip compare_states(const CopyState& before, const CopyState& after) {
  RoundTrip t;
  t.rows_before = before.rows;
  t.rows_after = after.rows;
  std::map<std::string, std::string> was(before.catalog.begin(), before.catalog.end());
  std::map<std::string, std::string> now(after.catalog.begin(), after.catalog.end());
  for (const auto& [what, description] : was) {
    const auto it = now.find(what);
    if (it == now.end()) t.schema_differences.push_back(fmt::format("{} ({}) is gone", what, description));
    else if (it->second != description) t.schema_differences.push_back(fmt::format("{} was {}, is {}", what, description, it->second));
  }
  for (const auto& [what, description] : now) {
    if (!was.count(what)) t.schema_differences.push_back(fmt::format("{} ({}) is new", what, description));
  }
  for (const auto& [column, sum] : before.checksums) {
    const auto it = after.checksums.find(column);
    if (it == after.checksums.end() || it->second != sum) t.changed_columns.push_back(column);
  }
  return t;
}

// How a repeat uses the slice's copy.
struct RunPlan {
  bool build = true;        // build the copy first (else: the copy the last rolled-back run left)
  bool adopt = false;       // ...from the slice itself (build_working_copy), when no other run needs it
  bool keep = false;        // a committed run whose copy the next run reuses (repeatable_in_place): undo, do not drop
  bool roll_back = false;   // run the migration in one transaction and roll it back, keeping the copy
  bool round_trip = false;  // SamplingOptions::round_trip (a committed run only)
};

SliceRun run_migration(RunContext& ctx, long long rows, int repeat, const RunPlan& plan, Samples& samples);

// Whether VALIDATE CONSTRAINT names a CHECK constraint: one the source holds
// NOT VALID, or one the migration adds NOT VALID before. (A foreign key's, or
// one migsim cannot tell, plans its check.)
bool validates_a_check(const migration::Migration& migration, const SourceStructure& structure,
                       const std::string& name) {
  for (const auto& [source_name, definition] : structure.definition.not_valid_checks) {
    if (source_name == name) return true;
  }
  for (const migration::Statement& st : migration.statements) {
    for (const migration::Action& a : st.actions) {
      if (a.kind == "ADD CHECK NOT VALID" && a.constraint == name) return true;
    }
  }
  return false;
}

// An ADD FOREIGN KEY action's key columns, quoted.
std::vector<std::string> quoted_key_columns(const migration::Action& a, pqxx::connection& c) {
  std::vector<std::string> quoted;
  for (const std::string& column : a.key_columns) quoted.push_back(c.quote_name(column));
  return quoted;
}

// The columns (quoted) of the foreign key that VALIDATE CONSTRAINT `name`
// validates: one the source holds, or one the migration adds NOT VALID
// before; none when migsim cannot tell.
std::vector<std::string> validated_key_columns(const migration::Migration& migration, const SourceStructure& structure,
                                               const std::string& name, pqxx::connection& c) {
  for (const ForeignKey& fk : structure.foreign_keys) {
    if (fk.name == name) return fk.columns;
  }
  for (const migration::Statement& st : migration.statements) {
    for (const migration::Action& a : st.actions) {
      if (a.kind == "ADD FOREIGN KEY NOT VALID" && a.constraint == name) return quoted_key_columns(a, c);
    }
  }
  return {};
}

// The statistics the migration's plans read on the copy of the table, which
// its preparation ANALYZEs: none (nullopt), some columns (quoted), or every
// column (an empty list). DML plans its scans and joins by any column's
// (unless plan_uses_statistics() says it cannot), and so may a statement
// migsim has not classified; validating a foreign key plans the anti-join
// that checks it, by its key columns' alone (ANALYZE of every column of a
// 46,000-row copy of datasets/orders took 414 ms, of its key column 36 ms);
// other DDL reads the table directly and plans nothing (a CHECK's validation
// only scans).
std::optional<std::vector<std::string>> analyzed_columns(const migration::Migration& migration,
                                                         const SourceStructure& structure, pqxx::connection& c) {
  std::set<std::string> keys;
  bool any = false;
  for (const migration::Statement& st : migration.statements) {
    if ((st.effect == migration::Effect::dml && plan_uses_statistics(st)) || st.effect == migration::Effect::unknown ||
        st.batching) {
      return std::vector<std::string>{};
    }
    for (const migration::Action& a : st.actions) {
      std::vector<std::string> columns;
      if (a.kind == "ADD FOREIGN KEY") {
        columns = quoted_key_columns(a, c);
      } else if (a.kind == "VALIDATE CONSTRAINT" && !validates_a_check(migration, structure, a.constraint)) {
        columns = validated_key_columns(migration, structure, a.constraint, c);
      } else {
        continue;
      }
      if (columns.empty()) return std::vector<std::string>{};  // a key migsim cannot name: every column
      any = true;
      keys.insert(columns.begin(), columns.end());
    }
  }
  if (!any) return std::nullopt;
  return std::vector<std::string>(keys.begin(), keys.end());
}

// Whether every statement reads only the table's heap, or not even that: a
// CHECK or NOT NULL added or validated (ADD CHECK [NOT VALID], VALIDATE of a
// CHECK, SET NOT NULL), or a setting. Such a migration neither reads nor
// writes an index, so its copies are built without the indexes that back no
// constraint (the constraints' stay: a name or a key the migration could
// clash with): on a 46,000-row copy of datasets/orders its two plain indexes
// took 90 ms of a 0.2 s preparation. A foreign key's check plans a join,
// which could use them.
bool reads_only_the_heap(const migration::Migration& migration, const SourceStructure& structure) {
  bool any = false;
  const bool all = std::all_of(migration.statements.begin(), migration.statements.end(), [&](const migration::Statement& st) {
    if (st.effect == migration::Effect::none) return true;
    any = true;
    return (st.effect == migration::Effect::scan || st.effect == migration::Effect::catalog) && !st.actions.empty() &&
           std::all_of(st.actions.begin(), st.actions.end(), [&](const migration::Action& a) {
             return a.kind == "ADD CHECK" || a.kind == "ADD CHECK NOT VALID" || a.kind == "ALTER COLUMN SET NOT NULL" ||
                    (a.kind == "VALIDATE CONSTRAINT" && validates_a_check(migration, structure, a.constraint));
           });
  });
  return any && all;
}

// Whether the repeats of a slice can share one copy. When every statement
// can run in a transaction block and none writes rows, the migration run in
// one transaction and rolled back leaves the copy as it was (the same rows,
// pages, hint bits and indexes), so the repeats before the last roll back and
// the copy is built once per slice, not once per repeat: building a copy of
// 100,000 rows of datasets/orders (the rows, three indexes, VACUUM) took
// 0.9 s, ADD CHECK on it 40 ms. A write to rows rolled back would leave dead
// row versions for the next repeat to wade through; CONCURRENTLY and VACUUM
// cannot run in a transaction block.
bool copy_reusable(const migration::Migration& migration) {
  using migration::Effect;
  return std::all_of(migration.statements.begin(), migration.statements.end(), [](const migration::Statement& st) {
    if (st.is_transaction_control) return true;
    return st.in_transaction_block_allowed && !st.batching &&
           (st.effect == Effect::catalog || st.effect == Effect::scan || st.effect == Effect::rewrite ||
            st.effect == Effect::index_build || st.effect == Effect::none);
  });
}

// Whether the repeats of a slice can run one after another on one copy,
// each committed, when they cannot share it by rolling back: every statement
// leaves the copy as it found it for the next run's purposes. VACUUM FULL
// rewrites a copy that is already compact into the same (its rows, pages
// and fresh indexes), and CREATE INDEX CONCURRENTLY is undone by dropping
// the index it built (untimed, after the run). A SET or RESET among them
// changes only the run's own session (each run has a new one). A copy of
// 100,000 rows of datasets/orders took 0.8 s to prepare, VACUUM FULL on it 0.5 s.
bool repeatable_in_place(const migration::Migration& migration) {
  bool any = false;
  const bool all = std::all_of(migration.statements.begin(), migration.statements.end(), [&](const migration::Statement& st) {
    if (st.is_transaction_control || st.is_session_setting) return true;
    any = true;
    return st.kind == "VACUUM FULL" || st.kind == "CREATE INDEX CONCURRENTLY" ||
           st.kind == "CREATE UNIQUE INDEX CONCURRENTLY";
  });
  return any && all;
}

// The copy's indexes: oid -> qualified, quoted name.
std::map<long long, std::string> copy_indexes(Connection& c, long long table_oid) {
  pqxx::read_transaction tx(c.raw());
  std::map<long long, std::string> out;
  for (const pqxx::row& r : tx.exec_params("SELECT i.indexrelid::bigint, format('%I.%I', n.nspname, x.relname) "
                                           "FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
                                           "JOIN pg_namespace n ON n.oid = x.relnamespace WHERE i.indrelid = $1::oid",
                                           std::to_string(table_oid))) {
    out.emplace(r[0].as<long long>(), r[1].as<std::string>());
  }
  tx.commit();
  return out;
}

// Drops the copy, and the functions the migration created (trigger
// functions, in the scratch schema): the next run creates them again.
void drop_copy(RunContext& ctx) {
  pqxx::nontransaction tx(ctx.work.raw());
  tx.exec0("DROP TABLE IF EXISTS " + detail::quote_qualified(ctx.work.raw(), ctx.scratch, ctx.table.name) + " CASCADE");
  for (const pqxx::row& f : tx.exec_params("SELECT format('%I.%I(%s)', n.nspname, p.proname, "
                                           "pg_get_function_identity_arguments(p.oid)) FROM pg_proc p JOIN "
                                           "pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1",
                                           ctx.scratch)) {
    tx.exec0("DROP FUNCTION IF EXISTS " + f[0].as<std::string>() + " CASCADE");
  }
}

// Runs the whole migration once on a copy of the slice.
SliceRun run_once(RunContext& ctx, long long rows, int repeat, const RunPlan& plan, Samples& samples) {
  Connection& work = ctx.work;
  const std::string work_table = detail::quote_qualified(work.raw(), ctx.scratch, ctx.table.name);
  if (plan.build) {
    guarded("preparing a copy of the slice", [&] {
      ctx.table_oid = build_working_copy(work, ctx.structure, ctx.scratch, ctx.table.name, plan.adopt,
                                         !reads_only_the_heap(ctx.migration, ctx.structure));
      // Hint bits set, visibility map and (where plans use them) statistics
      // current: like a table in steady state, not one just loaded.
      vacuum(work, work_table, analyzed_columns(ctx.migration, ctx.structure, work.raw()));
    });
  }
  // The migration runs in a session of its own, as a deploy's does: one that
  // has not just created the table, with nothing of it in its caches. (In the
  // session that built the copy a catalog-only change took 1.2-2.0 ms where
  // the real one, in a new session, took 1.9-3.2 ms.)
  Connection own(ctx.dsn);
  guarded("opening the migration's session", [&] {
    pqxx::nontransaction tx(own.raw());
    // Unqualified names resolve only inside the scratch schema.
    tx.exec_params("SELECT set_config('search_path', $1, false)", tx.quote_name(ctx.scratch));
  });
  if (maps_the_copy_first(ctx.migration, ctx.table)) {
    guarded("reading the copy in the migration's session", [&] {
      pqxx::work tx(own.raw());
      tx.exec0("SET LOCAL max_parallel_workers_per_gather = 0");  // read by this backend, not by workers
      tx.exec0("SET LOCAL enable_indexonlyscan = off");           // every heap page, not an index's
      tx.exec0("SET LOCAL enable_bitmapscan = off");
      tx.exec1("SELECT count(*) FROM ONLY " + work_table);
      tx.commit();
    });
  }
  RunContext session{own, ctx.migration, ctx.table, ctx.structure, ctx.scratch, ctx.options, ctx.dsn, ctx.table_oid};
  return run_migration(session, rows, repeat, plan, samples);
}

// Runs the migration's statements on the copy (prepared by run_once) in ctx's
// session, then rolls them back or drops the copy.
SliceRun run_migration(RunContext& ctx, long long rows, int repeat, const RunPlan& plan, Samples& samples) {
  Connection& work = ctx.work;
  SliceRun run;
  run.rows = rows;
  run.repeat = repeat;
  run.rolled_back = plan.roll_back;
  std::optional<CopyState> before;
  if (plan.round_trip) before = guarded("reading the copy before the migration", [&] { return copy_state(ctx, {}); });
  std::map<long long, std::string> indexes_before;
  if (plan.keep) indexes_before = guarded("reading the copy's indexes", [&] { return copy_indexes(work, ctx.table_oid); });
  std::optional<pqxx::work> migration_tx;
  if (plan.roll_back) guarded("starting the migration's transaction", [&] { migration_tx.emplace(work.raw()); });
  const size_t n = ctx.migration.statements.size();
  for (size_t i = 0; i < n; ++i) {
    throw_if_interrupted();
    const migration::Statement& st = ctx.migration.statements[i];
    run.statements.push_back(migration_tx ? run_statement_in(ctx, st, *migration_tx) : run_statement(ctx, st));
    // A slow statement of several gets a line of its own between the runs' lines.
    if (n > 1 && run.statements.back().seconds >= 1.0) {
      say(ctx.options, fmt::format("  statement {}/{} ({}) on {} rows took {:.1f} s", i + 1, n,
                                   migration::location(ctx.migration, st), rows, run.statements.back().seconds));
    }
  }
  if (before) {
    std::vector<std::string> columns;
    for (const auto& [column, sum] : before->checksums) columns.push_back(column);
    const CopyState after = guarded("reading the copy after the way back", [&] { return copy_state(ctx, columns); });
    samples.round_trip = compare_states(*before, after);
  }
  if (migration_tx) {
    guarded("rolling the migration back", [&] { migration_tx->abort(); });
    return run;  // the copy is as it was, for the next repeat
  }
  if (plan.keep) {
    guarded("dropping the indexes the run built", [&] {
      const std::map<long long, std::string> after = copy_indexes(work, ctx.table_oid);
      pqxx::nontransaction tx(work.raw());
      for (const auto& [oid, name] : after) {
        if (indexes_before.count(oid) == 0) tx.exec0("DROP INDEX " + name);
      }
    });
    return run;  // the copy is as it was, for the next repeat
  }
  guarded("dropping the copy", [&] {
    pqxx::nontransaction(work.raw()).exec0("RESET ALL");
    drop_copy(ctx);
  });
  return run;
}

// Pages of the source's read: at least 8,192 (64 MB: 45 ms from memory
// here, so that a stall cannot pass for storage, and storage slower than
// 1.3 GB/s shows) or the largest slice's share, at most a quarter of the
// table.
constexpr double kProbeMinPages = 8192;

// The seconds a sequential scan takes to read `rows` rows of `qualified`
// (from its start, or where the last scan of it stopped: synchronize_seqscans),
// without parallel workers, in a READ ONLY transaction.
double timed_read(pqxx::connection& c, const std::string& qualified, long long rows, const SamplingOptions& options) {
  pqxx::read_transaction tx(c);
  limit_waits(tx, options);
  tx.exec("SET LOCAL max_parallel_workers_per_gather = 0");
  const std::string sql = fmt::format("SELECT count(*) FROM (SELECT 1 FROM ONLY {} LIMIT {}) s", qualified, rows);
  const auto t0 = Clock::now();
  tx.exec1(sql);
  const double seconds = seconds_between(t0, Clock::now());
  tx.commit();
  return seconds;
}

// The first half of ReadProbe: the source's read, when the table is above a
// quarter of shared_buffers (a sequential scan of it then goes through a ring
// of 256 kB and evicts nothing of the server's working set). Before the
// slices are copied, so that their reads have not cached its pages.
std::optional<ReadProbe> probe_source_read(Connection& source, const TableProfile& table, long long largest_slice,
                                           const SamplingOptions& options) {
  if (table.rows < 1 || table.heap_pages < 1 || table.heap_pages <= table.server.shared_buffers_pages / 4) {
    return std::nullopt;
  }
  const double rows_per_page = table.rows / table.heap_pages;
  const double pages = std::min(std::max(kProbeMinPages, static_cast<double>(largest_slice) / rows_per_page),
                                table.heap_pages / 4);
  ReadProbe probe;
  probe.source_rows = std::max(1LL, std::llround(pages * rows_per_page));
  probe.source_pages = static_cast<double>(probe.source_rows) / rows_per_page;
  say(options, fmt::format("reading {} rows of {}.{} by a sequential scan, as a full-table statement reads them, to "
                           "see whether its pages come from storage",
                           probe.source_rows, table.schema, table.name));
  probe.source_seconds = guarded(fmt::format("reading {}.{} by a sequential scan", table.schema, table.name), [&] {
    return timed_read(source.raw(), quote_qualified(source.raw(), table.schema, table.name), probe.source_rows, options);
  });
  return probe;
}

// The second half: the same read of the largest slice's copy, in memory.
void probe_copy_read(Connection& work, const std::string& scratch, ReadProbe& probe, const SamplingOptions& options) {
  const std::string slice = quote_qualified(work.raw(), scratch, kSliceTable);
  guarded("reading the slice's copy", [&] {
    pqxx::read_transaction tx(work.raw());
    const pqxx::row r = tx.exec1("SELECT count(*), pg_relation_size(" + tx.quote(slice) + "::regclass)::float8 / " +
                                 "current_setting('block_size')::float8 FROM " + slice);
    tx.commit();
    probe.copy_rows = r[0].as<long long>();
    probe.copy_pages = r[1].as<double>();
    for (int i = 0; i < 3; ++i) probe.copy_seconds.push_back(timed_read(work.raw(), slice, probe.copy_rows, options));
  });
}

// One slice size: its rows, in a scratch schema of its own (the schema's name
// carries its session's backend pid, so each has a session), and its runs.
struct SliceCopy {
  SliceCopy(const std::string& scratch_dsn, const SamplingOptions& options)
      : work(scratch_dsn), scratch(work, scratch_dsn, options) {}
  Connection work;
  ScratchSchema scratch;  // declared after `work`: dropped before it closes
  long long rows = 0;
  long long bytes = 0;
  long long table_oid = 0;  // the working copy, across the runs that share it
  std::vector<SliceRun> runs;
  bool done = false;  // skipped (empty), or its runs agreed early
};

// A statement whose committed runs wrote at most this much WAL at every slice
// size commits in a time that does not depend on the size: one flush of a
// few pages' worth of WAL (a catalog change, a validating scan).
constexpr long long kSmallCommitWal = 64 * 1024;

// The rolled-back runs count a commit, statement by statement, as their own
// would have taken (and the committed run's temp files, which are counted
// only between transactions). Where the commit is a flush of little WAL at
// every size (kSmallCommitWal), it is the median of the committed runs' of
// all sizes: one flush measured per size varies more than the statements do
// (0.56 to 6.03 ms for the commit of a VALIDATE on three slices of
// datasets/events, whose scans took 3-5 ms), and counted in every run of one
// size it would tilt the fit. Otherwise (a rewrite flushes its new pages'
// WAL, which grows with the slice) it is the same size's committed run's.
void count_commits(std::vector<std::unique_ptr<SliceCopy>>& slices) {
  size_t statements = 0;
  for (const auto& slice : slices) {
    if (!slice->runs.empty()) statements = std::max(statements, slice->runs.back().statements.size());
  }
  // Statement i of a size's committed run (its last), if it has one.
  auto committed_of = [](const std::vector<SliceRun>& runs, size_t i) -> const StatementRun* {
    if (runs.empty() || runs.back().rolled_back || i >= runs.back().statements.size()) return nullptr;
    return &runs.back().statements[i];
  };
  for (size_t i = 0; i < statements; ++i) {
    std::vector<double> commits;
    bool small = true;
    for (const auto& slice : slices) {
      if (const StatementRun* committed = committed_of(slice->runs, i)) {
        commits.push_back(committed->commit_seconds);
        small = small && committed->wal_bytes <= kSmallCommitWal;
      }
    }
    const bool shared = small && commits.size() > 1;
    std::sort(commits.begin(), commits.end());
    const size_t n = commits.size();
    const double median = n == 0 ? 0 : n % 2 ? commits[n / 2] : 0.5 * (commits[n / 2 - 1] + commits[n / 2]);
    for (auto& slice : slices) {
      const StatementRun* found = committed_of(slice->runs, i);
      if (!found) continue;
      const StatementRun& committed = *found;
      for (size_t r = 0; r + 1 < slice->runs.size(); ++r) {
        SliceRun& run = slice->runs[r];
        if (!run.rolled_back || i >= run.statements.size()) continue;
        StatementRun& s = run.statements[i];
        s.commit_seconds = shared ? median : committed.commit_seconds;
        s.seconds += s.commit_seconds;
        s.temp_bytes = committed.temp_bytes;
      }
    }
  }
}

// The migration's time in one run: its statements', each with its commit.
double migration_seconds(const SliceRun& run) {
  double seconds = 0;
  for (const StatementRun& s : run.statements) seconds += s.seconds;
  return seconds;
}

// Two runs of one slice whose times agree within `agreement` (longer /
// shorter − 1), if any.
std::optional<std::pair<size_t, size_t>> agreeing_runs(const std::vector<SliceRun>& runs, double agreement) {
  for (size_t a = 0; a < runs.size(); ++a) {
    for (size_t b = a + 1; b < runs.size(); ++b) {
      const double x = migration_seconds(runs[a]);
      const double y = migration_seconds(runs[b]);
      if (std::min(x, y) > 0 && std::max(x, y) <= (1 + agreement) * std::min(x, y)) return std::pair{a, b};
    }
  }
  return std::nullopt;
}


}  // namespace

bool maps_the_copy_first(const migration::Migration& migration, const TableProfile& table) {
  using migration::Effect;
  if (table.heap_pages <= table.server.shared_buffers_pages / 4) return false;
  return std::any_of(migration.statements.begin(), migration.statements.end(), [](const migration::Statement& st) {
    return st.effect == Effect::scan || st.effect == Effect::rewrite || st.effect == Effect::index_build ||
           st.effect == Effect::dml || st.effect == Effect::unknown;
  });
}

std::vector<long long> slice_ladder(double rows, long long max_slice_rows) {
  const auto total = static_cast<long long>(std::llround(std::max(0.0, rows)));
  if (total < kWholeTableBelow) return {total};
  long long largest = std::clamp<long long>(total / 10, kMinLargestSlice, std::max(kMinLargestSlice, max_slice_rows));
  largest = std::min(largest, total);
  return {std::max<long long>(largest / 9, 1), std::max<long long>(largest / 3, 1), largest};
}

namespace {

// measure() on the slices of `ladder`.
Samples measure_ladder(const std::string& dsn, const migration::Migration& migration, const TableProfile& table,
                       const SamplingOptions& options, const std::vector<long long>& ladder) {
  // The scratch schema lives on the scratch server: the source's own unless --scratch-dsn.
  const std::string scratch_dsn = options.scratch_dsn.empty() ? dsn : options.scratch_dsn;
  drop_leftover_scratch_schemas(scratch_dsn);

  Connection source(dsn);
  Samples samples;
  samples.seed = options.seed;
  samples.repeats = options.repeats;
  samples.whole_table = ladder.size() == 1;
  if (samples.whole_table) {
    samples.method = "whole table";
    samples.method_reason = fmt::format("the table has fewer than {} rows, so it is copied whole and timed "
                                        "without extrapolation",
                                        kWholeTableBelow);
  } else {
    samples.method = "SYSTEM";
    samples.method_reason = "TABLESAMPLE SYSTEM reads only the sampled pages (about the slice's share of the "
                            "table); BERNOULLI would read every page of the source";
  }

  SourceStructure structure = guarded(fmt::format("reading the structure of {}.{}", table.schema, table.name),
                                      [&] { return read_structure(source, table, options); });
  // Tables the migration only reads (and the target does not reference):
  // copied whole when small. (The largest slice is at least 5,000 rows even
  // under a smaller --max-slice-rows.)
  const long long slice_cap = std::max(options.max_slice_rows, ladder.back());
  for (const migration::Statement& st : migration.statements) {
    bool adds_foreign_key = false;
    for (const migration::Action& action : st.actions) adds_foreign_key = adds_foreign_key || action.kind == "ADD FOREIGN KEY";
    for (const migration::RelationLock& lock : st.locks) {
      const auto& r = lock.relation;
      const bool target = r.name == table.name && (r.schema.empty() || r.schema == table.schema);
      if (target || r.name_begin < 0) continue;
      // The table a new foreign key references is read (and locked) by its validation, which probes its
      // key index once per row: it is copied whole, so that index has its real size, up to 10 times the
      // largest slice.
      const bool referenced_by_new_key = adds_foreign_key && lock.mode == sim::LockMode::ShareRowExclusive;
      if (lock.mode != sim::LockMode::AccessShare && !referenced_by_new_key) continue;
      guarded("reading a table the migration reads", [&] {
        add_read_table(source, structure, r, referenced_by_new_key ? 10 * slice_cap : slice_cap, options,
                       migration::location(migration, st));
      });
    }
  }
  plan_foreign_key_checks(source, table, migration, structure, options, samples);
  samples.notes.insert(samples.notes.end(), structure.notes.begin(), structure.notes.end());
  std::vector<migration::RelationRef> copied;
  for (const ReferencedTable& ref : structure.referenced) copied.push_back({ref.schema, ref.name, -1, -1});
  check_runnable(migration, migration::RelationRef{table.schema, table.name, -1, -1}, options.allow,
                 copied);
  // Only a statement that reads every page of the table has a use for the probe (its read regime, its
  // read floor): a catalog-only migration's estimate reads no more of the source than its slice.
  std::optional<ReadProbe> read_probe;
  const bool reads_the_table = std::any_of(migration.statements.begin(), migration.statements.end(),
                                           [](const migration::Statement& st) { return migration::table_passes(st) > 0; });
  if (!samples.whole_table && reads_the_table) read_probe = probe_source_read(source, table, ladder.back(), options);
  const bool reuse = options.repeats > 1 && copy_reusable(migration);
  const bool in_place = options.repeats > 1 && !reuse && repeatable_in_place(migration);
  samples.agreement = reuse ? 0 : options.agreement;

  // Every slice is copied before any run, each into a scratch schema of its
  // own, and the runs then take the sizes in turn (smallest to largest, then
  // back): a stretch of seconds when the machine is slower or faster (another
  // process, the kernel's writeback, a checkpoint) falls on several sizes'
  // runs rather than on one size's, where it would tilt the fit's slope. On a
  // 2-core VM three estimates of the same VALIDATE on 5,000,000 rows ranged
  // 0.68-1.16 s while each size's own runs agreed within 8-17 %; with the
  // turns, 0.89-1.02 s in one benchmark run and 1.14-1.66 s in the next, so
  // their effect is within that machine's noise. They cost no time.
  //
  // The largest slice is copied from the source, and each smaller one is
  // taken from it on the scratch server, by whole pages as TABLESAMPLE takes
  // them from the source: the source is read once (not 1.44 times the largest
  // slice), and a smaller slice's rows are a subset of the largest's rather
  // than a sample of their own (at 2,000,000 rows of an orders table with a
  // foreign key, 0.6 s for the two smaller slices of 98,000 rows, against
  // 0.8 s to copy them from the source).
  std::vector<std::unique_ptr<SliceCopy>> slices(ladder.size());
  std::vector<std::optional<SliceStats>> stats(ladder.size());
  for (size_t step = 0; step < ladder.size(); ++step) {
    throw_if_interrupted();
    const size_t k = (step + ladder.size() - 1) % ladder.size();  // the largest first
    const SliceCopy* largest = step == 0 ? nullptr : slices.back().get();
    auto slice = std::make_unique<SliceCopy>(scratch_dsn, options);
    SliceCopy& c = *slice;
    const auto t0 = Clock::now();
    if (largest == nullptr) {
      say(options, fmt::format("slice {}/{}: copying about {} of {:.0f} rows into {}", k + 1, ladder.size(),
                               ladder[k], table.rows, c.scratch.name()));
      c.rows = guarded(fmt::format("copying a slice of {}.{}", table.schema, table.name), [&] {
        return copy_slice(dsn, scratch_dsn, structure, c.work, table, c.scratch.name(), ladder[k], options);
      });
    } else {
      say(options, fmt::format("slice {}/{}: taking about {} of the {} rows of slice {}/{} into {}", k + 1,
                               ladder.size(), ladder[k], largest->rows, ladder.size(), ladder.size(),
                               c.scratch.name()));
      c.rows = guarded("taking a slice from the largest", [&] {
        return derive_slice(c.work, structure, largest->scratch.name(), largest->rows, c.scratch.name(),
                            ladder[k], options);
      });
    }
    guarded("vacuuming the slice", [&] {
      const std::string qualified = detail::quote_qualified(c.work.raw(), c.scratch.name(), kSliceTable);
      vacuum_slice(c.work, qualified);
      {
        pqxx::read_transaction tx(c.work.raw());
        c.bytes = tx.exec_params1("SELECT pg_table_size($1::regclass)", qualified)[0].as<long long>();
        tx.commit();
      }
      // The copies of referenced tables are read as they are (by a foreign
      // key's validation, or a join): in steady state too.
      for (const ReferencedTable& ref : structure.referenced) {
        vacuum(c.work, detail::quote_qualified(c.work.raw(), c.scratch.name(), ref.name),
               analyzed_columns(migration, structure, c.work.raw()).has_value());
      }
    });
    say(options, fmt::format("slice {}/{}: {} rows copied in {:.1f} s{}", k + 1, ladder.size(), c.rows,
                             seconds_between(t0, Clock::now()),
                             largest ? fmt::format(" (from slice {}/{})", ladder.size(), ladder.size()) : ""));
    // The largest slice, read before any run (a run may take the slice for its copy).
    if (read_probe && k + 1 == ladder.size() && c.rows > 0) {
      probe_copy_read(c.work, c.scratch.name(), *read_probe, options);
      samples.source_read = read_probe;
    }
    if (!structure.stats.empty() && c.rows > 0) {
      SliceStats st = guarded("comparing the slice with the source",
                              [&] { return compare_slice(c.work, structure, c.scratch.name(), c.rows); });
      if (!st.representative) {
        std::string worst;
        for (const auto& col : st.columns) {
          if (std::abs(col.null_frac_slice - col.null_frac_source) > 0.10) {
            worst += fmt::format(" {} is {:.0f} % NULL in the slice, {:.0f} % in the source;", col.name,
                                 100 * col.null_frac_slice, 100 * col.null_frac_source);
          }
        }
        samples.notes.push_back(fmt::format(
            "slice {} ({} rows) differs from the source by more than 10 %: row width {:.0f} B vs {:.0f} B;{} "
            "its timings may not scale to the table",
            k + 1, c.rows, st.row_width_slice, st.row_width_source, worst));
      }
      stats[k] = std::move(st);
    }
    if (c.rows == 0 && table.rows > 0) {
      samples.notes.push_back(fmt::format("the slice of about {} rows came back empty (TABLESAMPLE picks whole "
                                          "pages); it was skipped",
                                          ladder[k]));
      c.done = true;
    }
    slices[k] = std::move(slice);
  }
  for (size_t k = 0; k < slices.size(); ++k) {
    samples.slice_rows.push_back(slices[k]->rows);
    samples.slice_bytes.push_back(slices[k]->bytes);
    if (stats[k]) samples.slice_stats.push_back(std::move(*stats[k]));
  }

  double run_seconds = 0;
  double run_rows = 0;
  for (int r = 0; r < options.repeats; ++r) {
    for (size_t step = 0; step < slices.size(); ++step) {
      throw_if_interrupted();
      const size_t k = r % 2 == 0 ? step : slices.size() - 1 - step;
      SliceCopy& c = *slices[k];
      if (c.done) continue;
      RunContext ctx{c.work, migration, table, structure, c.scratch.name(), options, scratch_dsn, c.table_oid};
      const auto t1 = Clock::now();
      const bool last = r + 1 == options.repeats;
      RunPlan plan;
      plan.build = !(reuse || in_place) || r == 0;
      // The slice becomes the copy when no later run needs it: the first run's, when the repeats share
      // the copy; otherwise the last run's (0.4 s less of INSERT at 96,000 rows of datasets/orders).
      plan.adopt = (reuse || in_place) ? r == 0 : last;
      plan.keep = in_place && !last;
      plan.roll_back = reuse && !last;
      plan.round_trip = options.round_trip && last && k + 1 == slices.size();
      c.runs.push_back(run_once(ctx, c.rows, r, plan, samples));
      c.runs.back().bytes = c.bytes;
      c.table_oid = ctx.table_oid;
      const double took = seconds_between(t1, Clock::now());
      // Remaining time: runs cost about their rows times the seconds per row seen so far.
      run_seconds += took;
      run_rows += static_cast<double>(std::max(c.rows, 1LL));
      double rows_left = 0;
      for (size_t j = 0; j < slices.size(); ++j) {
        if (slices[j]->done) continue;
        const int runs_left = options.repeats - static_cast<int>(slices[j]->runs.size());
        rows_left += static_cast<double>(runs_left) * static_cast<double>(std::max(slices[j]->rows, 1LL));
      }
      const double left_s = run_seconds / run_rows * rows_left;
      if (options.progress) {
        options.progress({fmt::format("slice {}/{}: run {}/{} on {} rows took {:.3f} s{}; about {:.0f} s of runs left",
                                      k + 1, slices.size(), r + 1, options.repeats, c.rows, took,
                                      plan.roll_back ? " (rolled back)" : "", left_s),
                          run_rows / (run_rows + rows_left), left_s});
      }
      if (!last && samples.agreement > 0) {
        if (const auto pair = agreeing_runs(c.runs, samples.agreement)) {
          say(options, fmt::format("slice {}/{}: runs {} and {} agree within {:.0f} % ({:.3f} s and {:.3f} s); the "
                                   "other {} skipped",
                                   k + 1, slices.size(), pair->first + 1, pair->second + 1, 100 * samples.agreement,
                                   migration_seconds(c.runs[pair->first]), migration_seconds(c.runs[pair->second]),
                                   options.repeats - r - 1 == 1 ? "run is" : fmt::format("{} runs are", options.repeats - r - 1)));
          // A copy kept for the next run goes now, with the scratch sequences it named.
          if (plan.keep) guarded("dropping the copy", [&] { drop_copy(ctx); });
          c.done = true;
        }
      }
    }
  }
  count_commits(slices);
  // Each size's runs together, in the order they ran.
  for (auto& slice : slices) {
    for (SliceRun& run : slice->runs) samples.runs.push_back(std::move(run));
  }
  return samples;
}

}  // namespace

Samples measure(const std::string& dsn, const migration::Migration& migration, const TableProfile& table,
                const SamplingOptions& options) {
  const std::vector<long long> ladder = slice_ladder(table.rows, options.max_slice_rows);
  // A catalog-only change takes the same time on any number of rows (1-3 ms
  // from 10,000 to 10,000,000 rows), and its estimate is the constant model
  // whatever the slices' sizes: larger slices would only cost their copies
  // (0.6 s of its 1.1 s estimate at 48,000 rows of datasets/orders). Its
  // slices stop at the smallest largest slice, unless a statement rewrites
  // the copy after all (the estimate then fits its timings): then every
  // size is timed again on the full ladder.
  if (migration::changes_only_the_catalog(migration)) {
    const std::vector<long long> small = slice_ladder(table.rows, kMinLargestSlice);
    if (small.back() < ladder.back()) {
      say(options, fmt::format("every statement changes only the catalog: timing it on slices of up to {} rows, "
                               "as its time does not grow with the rows",
                               small.back()));
      Samples samples = measure_ladder(dsn, migration, table, options, small);
      const bool rewrote = std::any_of(samples.runs.begin(), samples.runs.end(), [](const SliceRun& run) {
        return std::any_of(run.statements.begin(), run.statements.end(), [](const StatementRun& s) { return s.rewrote; });
      });
      if (!rewrote) {
        samples.notes.push_back(fmt::format("the migration changes only the catalog, so it was timed on slices of "
                                            "up to {} rows (not {}): its time does not grow with the rows",
                                            small.back(), ladder.back()));
        return samples;
      }
      say(options, fmt::format("a statement classified catalog-only rewrote the copy: timing it again on slices of "
                               "up to {} rows",
                               ladder.back()));
    }
  }
  return measure_ladder(dsn, migration, table, options, ladder);
}

std::vector<ScratchSchemaInfo> list_scratch_schemas(const std::string& dsn) {
  Connection conn(dsn);
  return guarded("listing scratch schemas", [&] {
    pqxx::read_transaction tx(conn.raw());
    std::vector<ScratchSchemaInfo> out;
    for (const pqxx::row& r : tx.exec(
             "SELECT nspname, split_part(nspname, '_', 3)::int, split_part(nspname, '_', 4)::bigint, "
             "       EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = split_part(nspname, '_', 3)::int) "
             "FROM pg_namespace WHERE nspname ~ '^migsim_scratch_[0-9]{1,9}_[0-9]{1,12}$' ORDER BY 3, 1")) {
      out.push_back({r[0].as<std::string>(), r[1].as<int>(), r[2].as<long long>(), r[3].as<bool>()});
    }
    return out;
  });
}

void drop_scratch_schema(const std::string& dsn, const std::string& name) {
  if (name.rfind("migsim_scratch_", 0) != 0) throw InputError(fmt::format("{} is not a migsim scratch schema", name));
  Connection conn(dsn);
  guarded(fmt::format("dropping scratch schema {}", name), [&] {
    pqxx::nontransaction tx(conn.raw());
    tx.exec0("DROP SCHEMA IF EXISTS " + tx.quote_name(name) + " CASCADE");
  });
}

int drop_leftover_scratch_schemas(const std::string& dsn) {
  int dropped = 0;
  for (const ScratchSchemaInfo& s : list_scratch_schemas(dsn)) {
    if (s.backend_alive) continue;
    drop_scratch_schema(dsn, s.name);
    ++dropped;
  }
  return dropped;
}

}  // namespace migsim::sampler
