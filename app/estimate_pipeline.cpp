#include "app/estimate_pipeline.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "estimators/lock_hold.h"
#include "estimators/regimes.h"
#include "reports/format.h"
#include "reports/simulation_io.h"
#include "sampler/errors.h"

namespace migsim::app {
namespace {

std::string display(const migration::RelationRef& r) { return r.schema.empty() ? r.name : r.schema + "." + r.name; }

reports::Observed observe(const sampler::Samples& samples, size_t index) {
  reports::Observed o;
  long long largest = 0;
  for (const auto& run : samples.runs) largest = std::max(largest, run.rows);
  std::vector<double> wal_per_row;
  bool proven = true;
  for (const auto& run : samples.runs) {
    const sampler::StatementRun& s = run.statements.at(index);
    if (!s.executed) continue;
    o.runs = true;
    proven = proven && s.not_null_proven;
    o.rewrote = o.rewrote || s.rewrote;
    o.locks_observable = o.locks_observable || s.locks_observed;
    for (const auto& l : s.locks) {
      if (std::find(o.lock_modes.begin(), o.lock_modes.end(), l.mode) == o.lock_modes.end()) o.lock_modes.push_back(l.mode);
    }
    if (run.rows == largest && run.rows > 0) wal_per_row.push_back(static_cast<double>(s.wal_bytes) / static_cast<double>(run.rows));
  }
  std::sort(o.lock_modes.begin(), o.lock_modes.end());
  o.not_null_proven = o.runs && proven;
  o.wal_bytes_per_row = estimators::median(wal_per_row);
  return o;
}

// A write to many rows on the full table logs full-page images after every
// checkpoint it forces; its slices, written after the last checkpoint, log
// none. The time can grow up to in proportion to the WAL: the interval's
// upper bound does, and a note says why.
void apply_wal_regime(reports::StatementEstimate& e, reports::EstimateReport& r, size_t index) {
  long long largest = 0;
  for (const auto& run : r.samples.runs) largest = std::max(largest, run.rows);
  std::vector<double> affected;
  for (const auto& run : r.samples.runs) {
    const auto& s = run.statements.at(index);
    if (run.rows == largest && largest > 0 && s.executed) {
      affected.push_back(static_cast<double>(s.rows_affected) / static_cast<double>(largest));
    }
  }
  estimators::WalInputs in;
  in.rows = r.table.rows;
  in.affected_fraction = estimators::median(affected);
  in.wal_bytes_per_row = e.observed.wal_bytes_per_row;
  in.table_bytes = static_cast<double>(r.table.table_bytes);
  in.unordered_index_bytes = static_cast<double>(r.table.unordered_index_bytes);
  in.max_wal_size_bytes = r.table.server.max_wal_size_bytes;
  in.checkpoint_completion_target = r.table.server.checkpoint_completion_target;
  const estimators::WalRegime w = estimators::wal_regime(in);
  if (w.checkpoints < 1 || w.amplification < 1.1) return;
  e.forecast.high_seconds *= w.amplification;
  const auto& st = r.migration.statements[index];
  r.notes.push_back(fmt::format(
      "statement {} (line {}) writes about {} of WAL on the full table ({:.0f} B per row on the slices, whose pages "
      "were fresh; {:.0f} B with full-page images): max_wal_size ({}) forces about {} checkpoints during it, after "
      "each of which the index pages it changes are logged again in full. It may take up to {:.1f}x the slices' "
      "rate, which the interval's upper bound includes",
      index + 1, st.line, reports::human_bytes(w.full_bytes), in.wal_bytes_per_row,
      w.full_bytes / std::max(in.rows, 1.0), r.table.server.max_wal_size, w.checkpoints, w.amplification));
}

// A rewrite or an index build writes new pages, and WAL for them that grows
// with the table (300-330 bytes per row of datasets/orders for a rewrite). On
// the full table that much WAL makes max_wal_size request checkpoints while
// the statement runs, each of which writes the data files it has written so
// far out to disk, where a slice's are written after its run, untimed (on a
// 2,000,000-row copy of orders one such checkpoint made an ALTER COLUMN TYPE
// 7-15 % slower). That time is the disk's, which migsim would have to write
// to measure: it is not in the estimate, and a note says how many checkpoints
// to expect and the max_wal_size that avoids them.
void note_forced_checkpoints(const reports::StatementEstimate& e, reports::EstimateReport& r, size_t index) {
  const migration::Statement& st = r.migration.statements[index];
  if (st.effect != migration::Effect::rewrite && st.effect != migration::Effect::index_build) return;
  const sampler::ServerSettings& server = r.table.server;
  const double wal_bytes = e.observed.wal_bytes_per_row * r.table.rows;
  const int checkpoints =
      estimators::forced_checkpoints(wal_bytes, server.max_wal_size_bytes, server.checkpoint_completion_target);
  if (checkpoints < 1) return;
  const double enough_gb = std::ceil(estimators::max_wal_size_without_checkpoints(
                                         wal_bytes, server.max_wal_size_bytes, server.checkpoint_completion_target) /
                                     (1024.0 * 1024 * 1024));
  r.notes.push_back(fmt::format(
      "statement {} (line {}) writes about {} of WAL on the full table ({:.0f} B per row on the slices): "
      "max_wal_size ({}) requests {} or {} checkpoints while it runs, each writing the data files it has "
      "written so far out to disk, which the slices did after their runs. That write time is not in the "
      "estimate (it is the disk's, which migsim does not measure); max_wal_size = '{:.0f}GB' or more for the "
      "migration (a reload, no restart) avoids these checkpoints",
      index + 1, st.line, reports::human_bytes(wal_bytes), e.observed.wal_bytes_per_row, server.max_wal_size,
      checkpoints, checkpoints + 1, enough_gb));
}

// A write whose WAL outgrows pg_wal's recycled segment files makes
// PostgreSQL create new ones while it runs, each written full of zeros and
// flushed to disk first (wal_init_zero); a slice's few MB of WAL never do.
// On the accuracy benchmark's machine each took 80-115 ms: ADD COLUMN ...
// DEFAULT random() on 5,000,000 rows of datasets/orders took 23.6 and 27.2 s
// when pg_wal held 24-27 segments after a quiet spell (it created 37-40) and
// 20.7 and 22.6 s right after, with 64 recycled; on a 1,000,000-row copy,
// whose 20 segments forced no checkpoint, runs with 0-23 recycled took
// 3.9-5.6 s in no order. That time is the disk's, under whatever else writes
// to it, which migsim does not measure: a note says how many segments to expect.
void note_wal_segments(const reports::StatementEstimate& e, reports::EstimateReport& r, size_t index) {
  const migration::Statement& st = r.migration.statements[index];
  if (st.effect != migration::Effect::rewrite && st.effect != migration::Effect::index_build &&
      st.effect != migration::Effect::dml) {
    return;
  }
  const sampler::ServerSettings& server = r.table.server;
  if (!server.wal_init_zero) return;
  const double wal_bytes = e.observed.wal_bytes_per_row * r.table.rows;
  const estimators::WalSegments w = wal_segments_on(server, wal_bytes, server.wal_segments_ahead);
  if (w.created_high < 1) return;
  const std::string head =
      fmt::format("statement {} (line {}) writes about {} of WAL on the full table, {} segment files of {}", index + 1,
                  st.line, reports::human_bytes(wal_bytes), w.needed, reports::human_bytes(server.wal_segment_bytes));
  const std::string recycled =
      w.recycled_during > 0
          ? fmt::format(" and the checkpoints during it recycle about {} more", w.recycled_during)
          : std::string();
  std::string created;
  if (server.wal_segments_ahead >= 0) {
    created = fmt::format(": pg_wal holds {} recycled ones ahead{}, so PostgreSQL creates about {} new ones while it runs",
                          server.wal_segments_ahead, recycled, w.created_high);
  } else {
    created = fmt::format(": PostgreSQL creates {} to {} new ones while it runs, by how many recycled ones pg_wal "
                          "holds (about what its recent checkpoints needed: fewer after a quiet spell; migsim counts "
                          "them when its role may call pg_ls_waldir(): a superuser, or a member of pg_monitor)",
                          w.created_low, w.created_high);
  }
  r.notes.push_back(head + created +
                    ", writing each full of zeros and flushing it to disk before its WAL goes on (wal_init_zero). The "
                    "slices needed none, so that time is not in the estimate: it is the disk's (on the accuracy "
                    "benchmark's machine 80-115 ms a segment during a 5,000,000-row rewrite that also forced "
                    "checkpoints, within the noise during a 1,000,000-row one)");
}

// The read probe's fastest of its reads of the largest slice's copy.
double fastest_copy_read(const sampler::ReadProbe& p) {
  return *std::min_element(p.copy_seconds.begin(), p.copy_seconds.end());
}

// What reading a row costs a statement that reads every row at least: the
// read probe's fastest sequential scan of the largest slice's copy (in
// memory), per row, times the statement's passes over the table; 0 when
// there was no probe, or for DML that may find its rows through an index
// (a WHERE, a join).
double read_seconds_per_row(const reports::EstimateReport& r, const migration::Statement& st) {
  if (!r.samples.source_read) return 0;
  if (st.effect == migration::Effect::dml && st.dml_rows != "all") return 0;
  const sampler::ReadProbe& p = *r.samples.source_read;
  if (p.copy_seconds.empty() || p.copy_rows < 1) return 0;
  return migration::table_passes(st) * fastest_copy_read(p) / static_cast<double>(p.copy_rows);
}

// The copies are read from memory. When the table's pages came from storage
// (sampler::ReadProbe), every pass over the full table reads at that speed
// instead: the estimate adds the difference, the upper bound twice it (the
// probe read one stretch of the table; the rest may be colder), the lower
// bound nothing (or warmer), and a note says so.
void apply_read_regime(reports::StatementEstimate& e, reports::EstimateReport& r, size_t index) {
  const migration::Statement& st = r.migration.statements[index];
  const int passes = migration::table_passes(st);
  if (!r.samples.source_read || passes == 0) return;
  const sampler::ReadProbe& p = *r.samples.source_read;
  if (p.copy_seconds.empty()) return;
  const double copy_seconds = fastest_copy_read(p);
  const estimators::ReadRegime read =
      estimators::read_regime({p.source_pages, p.source_seconds, p.copy_pages, copy_seconds, r.table.heap_pages});
  if (!read.from_storage) return;
  const double extra = passes * read.extra_seconds;
  e.forecast.predicted_seconds += extra;
  e.forecast.high_seconds += 2 * extra;
  r.notes.push_back(fmt::format(
      "statement {} (line {}): a sequential scan read {} of {}.{} at {} per page, {:.1f}x the copies' {} (in "
      "memory), so its pages come from storage; {} over its {} {} {} to the estimate and up to twice that to the "
      "upper bound",
      index + 1, st.line, reports::human_bytes(p.source_pages * 8192), r.table.schema, r.table.name,
      reports::human_seconds(read.source_seconds_per_page), read.ratio, reports::human_seconds(read.copy_seconds_per_page),
      passes == 1 ? std::string("the statement's pass") : fmt::format("the statement's {} passes", passes),
      reports::human_bytes(r.table.heap_pages * 8192), passes == 1 ? "adds" : "add", reports::human_seconds(extra)));
}

// A batched backfill (`-- migsim:backfill batch_size=...`): its batches on the
// copies give the time of one batch as a function of its size; the run on
// the full table is as many batches as the rows it writes need, each
// followed by its pause. The WAL the whole run writes is the same as in one
// statement, so the upper bound widens as apply_wal_regime() widened it.
void apply_batches(reports::StatementEstimate& e, reports::EstimateReport& r, size_t index, double target_seconds) {
  const migration::Statement& st = r.migration.statements[index];
  long long largest = 0;
  for (const auto& run : r.samples.runs) largest = std::max(largest, run.rows);
  std::vector<estimators::Point> batches;
  std::vector<double> written;
  std::string key;
  for (const auto& run : r.samples.runs) {
    const auto& s = run.statements.at(index);
    if (run.rows != largest || !s.executed || largest == 0) continue;
    written.push_back(static_cast<double>(s.rows_affected) / static_cast<double>(largest));
    if (!s.batch_key.empty()) key = s.batch_key;
    for (const sampler::BatchRun& b : s.batches) batches.push_back({static_cast<double>(b.rows), b.seconds});
  }
  if (batches.empty()) {
    r.notes.push_back(fmt::format("statement {} (line {}) is a batched backfill, but no batch wrote a row on the "
                                  "copies: its WHERE matched nothing there",
                                  index + 1, st.line));
    return;
  }
  const double rows_to_write = estimators::median(written) * r.table.rows;
  const double widen = e.forecast.predicted_seconds > 0 ? e.forecast.high_seconds / e.forecast.predicted_seconds : 1;
  estimators::BatchForecast b =
      estimators::batch_forecast(batches, st.batching->batch_rows, st.batching->pause_s, rows_to_write, target_seconds);
  e.forecast.predicted_seconds = b.total_seconds;
  e.forecast.low_seconds = b.total_low_seconds;
  const double pauses = static_cast<double>(b.batches) * b.pause_seconds;
  // The fit's own width, or the one-statement forecast's (the WAL regime included), whichever is wider.
  e.forecast.high_seconds = std::max(b.total_high_seconds, pauses + (b.total_seconds - pauses) * widen);
  e.forecast.reason = fmt::format("{} batches of {} rows ({} rows to write), each {} and a {} pause; a batch's "
                                  "time grows as {} + {} per row ({} batches measured on the copies)",
                                  reports::grouped(b.batches), reports::grouped(b.batch_rows),
                                  reports::grouped(static_cast<long long>(rows_to_write)),
                                  reports::human_seconds(b.batch_seconds), reports::human_seconds(b.pause_seconds),
                                  reports::human_seconds(b.overhead_seconds),
                                  reports::human_seconds(b.seconds_per_row), b.measured_batches);
  e.batch_sql = migration::batch_update_sql(r.migration, st, key, std::to_string(st.batching->batch_rows));
  e.batches = std::move(b);
}

// Says with how many parallel workers the copies built the statement's
// indexes: the full table's count, which the slices would not have chosen.
void note_index_workers(reports::EstimateReport& r, size_t index) {
  int workers = -1;
  for (const auto& run : r.samples.runs) workers = std::max(workers, run.statements.at(index).index_workers);
  if (workers < 0) return;
  const auto& st = r.migration.statements[index];
  r.notes.push_back(fmt::format(
      "statement {} (line {}) builds indexes: B-tree ones on every copy with {} parallel worker{}, as PostgreSQL "
      "plans for the full table ({} heap, maintenance_work_mem {}, max_parallel_maintenance_workers {}; other "
      "index types build serially in PostgreSQL 15)",
      index + 1, st.line, workers, workers == 1 ? "" : "s", reports::human_bytes(r.table.heap_pages * 8192),
      r.table.server.maintenance_work_mem, r.table.server.max_parallel_maintenance_workers));
}

// How the statement's work grows, from its effect class: an index build is a
// sort; an UPDATE or INSERT into a table with indexes adds an entry to each
// index per row written (estimators::Scaling::writes_index_entries); a scan,
// a rewrite (a heap copy, then index builds: on the accuracy benchmark
// closer to linear than to n·log n: 5-64 % high as n·log n, −24 to +18 % as
// linear, over five runs of 2026-12-02) and a DELETE
// grow with the rows.
estimators::Scaling scaling_of(const migration::Statement& st, const sampler::TableProfile& table) {
  if (st.effect == migration::Effect::index_build) return estimators::Scaling::sorts;
  if (st.effect == migration::Effect::dml && (st.kind == "UPDATE" || st.kind == "INSERT") && table.index_count > 0) {
    return estimators::Scaling::writes_index_entries;
  }
  return estimators::Scaling::grows;
}

}  // namespace

migration::RelationRef target_table(const migration::Migration& m, const std::string& requested) {
  const std::vector<migration::RelationRef> tables = migration::altered_tables(m);
  if (!requested.empty()) {
    migration::RelationRef want;
    const size_t dot = requested.find('.');
    if (dot == std::string::npos) {
      want.name = requested;
    } else {
      want.schema = requested.substr(0, dot);
      want.name = requested.substr(dot + 1);
    }
    for (const auto& t : tables) {
      if (t.name == want.name && (want.schema.empty() || t.schema.empty() || t.schema == want.schema)) {
        if (want.schema.empty()) want.schema = t.schema;
        return want;
      }
    }
    // Nothing the parse tree can see changes a table (a DO block, say): take
    // the user's word; the sampler decides whether it can run.
    if (tables.empty()) return want;
    throw sampler::InputError(fmt::format("{} does not change table {}; it changes: {}", m.source_name, requested,
                                          tables.empty() ? std::string("no table") : [&] {
                                            std::string s;
                                            for (const auto& t : tables) s += (s.empty() ? "" : ", ") + display(t);
                                            return s;
                                          }()));
  }
  if (tables.empty()) {
    throw sampler::InputError(fmt::format("{} changes no table, so there is nothing to time", m.source_name));
  }
  if (tables.size() > 1) {
    std::string names;
    for (const auto& t : tables) names += (names.empty() ? "" : ", ") + display(t);
    throw sampler::InputError(
        fmt::format("{} changes several tables ({}); name the one to estimate with --table", m.source_name, names));
  }
  return tables.front();
}

reports::EstimateReport estimate(const migration::Migration& m, const EstimateOptions& options) {
  const migration::RelationRef target = target_table(m, options.table);
  const auto& so = options.sampling;
  reports::EstimateReport r;
  r.migration = m;
  r.thresholds = options.thresholds;
  r.table = sampler::profile_table(options.dsn, target.schema, target.name, so.statement_timeout_ms, so.lock_timeout_ms);
  if (so.progress) {
    so.progress(fmt::format("{}.{}: {:.0f} rows, {} MB with indexes", r.table.schema, r.table.name, r.table.rows,
                            r.table.total_bytes / (1024 * 1024)));
  }
  r.samples = sampler::measure(options.dsn, m, r.table, so);
  migration::LintOptions lint_options;
  lint_options.table_rows = r.table.rows;
  r.findings = migration::lint(m, lint_options);
  // What the user opted in to is part of the record.
  if (!so.allow.functions.empty()) {
    std::string names;
    for (const std::string& f : so.allow.functions) names += (names.empty() ? "" : ", ") + f + "()";
    r.notes.push_back(fmt::format("--allow-function let {} run on the copy although migsim does not know them to be "
                                  "free of side effects",
                                  names));
  }
  for (const std::string& setting : so.allow.settings) {
    r.notes.push_back(fmt::format("--allow-setting let the migration set {} on the scratch session", setting));
  }
  if (so.allow.do_blocks) r.notes.push_back("--allow-do let DO blocks run on the copy (their SQL is not redirected)");
  if (!so.scratch_dsn.empty()) r.notes.push_back("the copies ran on the --scratch-dsn server, not the source's");

  if (so.progress) so.progress("fitting scaling models");
  forecast_statements(r, options.batch_target_seconds);
  return r;
}

estimators::WalSegments wal_segments_on(const sampler::ServerSettings& server, double wal_bytes, int segments_ahead) {
  estimators::WalSegmentInputs in;
  in.wal_bytes = wal_bytes;
  in.segment_bytes = server.wal_segment_bytes;
  in.segments_ahead = segments_ahead;
  in.recycle = server.wal_recycle;
  in.min_wal_size_bytes = server.min_wal_size_bytes;
  in.max_wal_size_bytes = server.max_wal_size_bytes;
  in.checkpoint_completion_target = server.checkpoint_completion_target;
  return estimators::wal_segments(in);
}

void forecast_statements(reports::EstimateReport& r, double batch_target_seconds) {
  const migration::Migration& m = r.migration;
  for (size_t i = 0; i < m.statements.size(); ++i) {
    const migration::Statement& st = m.statements[i];
    reports::StatementEstimate e;
    e.index = i;
    e.observed = observe(r.samples, i);
    std::vector<estimators::Point> points;
    for (const auto& run : r.samples.runs) {
      const auto& s = run.statements.at(i);
      if (s.executed) points.push_back({static_cast<double>(run.rows), s.seconds, static_cast<double>(run.bytes)});
    }
    bool constant = st.effect == migration::Effect::catalog || st.effect == migration::Effect::none;
    if (!constant && e.observed.not_null_proven) {
      // Timings that do not grow with the rows, fitted as if they did, extrapolate noise.
      constant = true;
      r.notes.push_back(fmt::format("statement {} (line {}): the table's valid CHECK constraints prove the column has "
                                    "no NULLs, so SET NOT NULL did not scan the copy (nor will it the table); "
                                    "estimated as catalog-only",
                                    i + 1, st.line));
    }
    if (constant && e.observed.rewrote) {
      constant = false;
      r.notes.push_back(fmt::format("statement {} (line {}) was classified as {} but rewrote the copy; it was "
                                    "estimated from its timings instead",
                                    i + 1, st.line, migration::effect_name(st.effect)));
    }
    const estimators::Scaling scaling = constant ? estimators::Scaling::constant : scaling_of(st, r.table);
    e.forecast = estimators::forecast(points, r.table.rows, static_cast<double>(r.table.table_bytes), scaling, 0.9,
                                      0.10, constant ? 0 : read_seconds_per_row(r, st));
    if (scaling == estimators::Scaling::writes_index_entries && e.forecast.model == estimators::Model::n_log_n) {
      e.forecast.reason += fmt::format(" (n·log n: each row it writes adds an entry to each of the table's {} "
                                       "indexes, whose B-trees deepen as the table grows)",
                                       r.table.index_count);
    }
    note_index_workers(r, i);
    if (st.effect == migration::Effect::dml) apply_wal_regime(e, r, i);
    note_forced_checkpoints(e, r, i);
    note_wal_segments(e, r, i);
    if (!constant) apply_read_regime(e, r, i);
    if (st.batching) apply_batches(e, r, i, batch_target_seconds);
    for (const auto& l : st.locks) {
      e.strongest_lock = e.strongest_lock ? sim::stronger(*e.strongest_lock, l.mode) : l.mode;
    }
    if (!constant && e.forecast.extrapolation_factor > 100) {
      r.notes.push_back(fmt::format("statement {} was extrapolated {:.0f}x beyond the largest slice; raise "
                                    "--max-slice-rows for a tighter estimate",
                                    i + 1, e.forecast.extrapolation_factor));
    }
    r.statements.push_back(std::move(e));
  }
  if (m.statements.size() > 1) {
    for (int b : migration::transaction_blocks(m)) {
      if (b >= 0) {
        r.notes.push_back("the file has an explicit transaction block; each statement was timed in its own "
                          "transaction, and the block's locks are taken to be held until its last statement");
        break;
      }
    }
  }
  summarize(r);
}

void summarize(reports::EstimateReport& r) {
  std::vector<estimators::TimedStatement> timed;
  const std::vector<int> blocks = migration::transaction_blocks(r.migration);
  r.total_seconds = r.total_low_seconds = r.total_high_seconds = 0;
  for (const reports::StatementEstimate& e : r.statements) {
    estimators::TimedStatement t{e.forecast.predicted_seconds, e.strongest_lock ? static_cast<int>(*e.strongest_lock) : 0,
                                 blocks.at(e.index), e.forecast.low_seconds, e.forecast.high_seconds, {}, -1, -1, -1};
    if (e.batches) {
      t.hold_seconds = e.batches->batch_seconds;
      t.hold_low_seconds = e.batches->batch_low_seconds;
      t.hold_high_seconds = e.batches->batch_high_seconds;
    }
    for (const migration::RelationLock& l : r.migration.statements[e.index].locks) {
      const bool target = l.relation.name == r.table.name && (l.relation.schema.empty() || l.relation.schema == r.table.schema);
      t.locks.emplace_back(target && !r.table.schema.empty() ? r.table.schema + "." + r.table.name : display(l.relation),
                           static_cast<int>(l.mode));
    }
    timed.push_back(std::move(t));
    r.total_seconds += e.forecast.predicted_seconds;
    // Errors of statements on one table move together: add the bounds.
    r.total_low_seconds += e.forecast.low_seconds;
    r.total_high_seconds += e.forecast.high_seconds;
  }
  const estimators::LockHolds holds = estimators::lock_holds(timed);
  r.max_lock_hold_seconds.clear();
  for (size_t i = 0; i < r.statements.size(); ++i) r.statements[i].lock_hold_seconds = holds.per_statement[i];
  for (const auto& [mode, seconds] : holds.max_by_mode) r.max_lock_hold_seconds[static_cast<sim::LockMode>(mode)] = seconds;
  r.lock_holds.clear();
  for (const estimators::RelationHold& h : holds.by_relation) {
    r.lock_holds.push_back({h.relation, static_cast<sim::LockMode>(h.mode), h.seconds, h.low_seconds, h.high_seconds});
  }
  r.verdict = reports::verdict_for(r.total_seconds, r.thresholds);
  r.upper_verdict = reports::verdict_for(r.total_high_seconds, r.thresholds);
}

namespace {

std::string key(const migration::RelationRef& r) { return r.schema + "." + r.name; }

bool same_table(const migration::RelationRef& a, const migration::RelationRef& b) {
  return a.name == b.name && (a.schema.empty() || b.schema.empty() || a.schema == b.schema);
}

}  // namespace

reports::EstimateReport part_of(const reports::EstimateReport& merged, const migration::Migration& m, size_t first) {
  const size_t n = m.statements.size();
  reports::EstimateReport r;
  r.migration = m;
  r.table = merged.table;
  r.thresholds = merged.thresholds;
  r.samples = merged.samples;
  r.samples.notes.clear();  // the set's notes carry them once
  for (sampler::SliceRun& run : r.samples.runs) {
    run.statements = std::vector<sampler::StatementRun>(run.statements.begin() + static_cast<long>(first),
                                                        run.statements.begin() + static_cast<long>(first + n));
  }
  for (size_t i = 0; i < n; ++i) {
    reports::StatementEstimate e = merged.statements.at(first + i);
    e.index = i;
    r.statements.push_back(std::move(e));
  }
  migration::LintOptions lint_options;
  lint_options.table_rows = merged.table.rows;
  r.findings = migration::lint(m, lint_options);
  summarize(r);
  return r;
}


reports::EstimateSet estimate_set(const std::vector<migration::Migration>& migrations, const EstimateOptions& options) {
  reports::EstimateSet set;
  set.thresholds = options.thresholds;
  std::vector<migration::RelationRef> created;  // by CREATE TABLE earlier in the set: empty when later ones run
  std::vector<int> group_of(migrations.size(), -1);
  std::vector<migration::RelationRef> groups;  // target tables, in order of first appearance
  set.migrations.resize(migrations.size());
  for (size_t i = 0; i < migrations.size(); ++i) {
    const migration::Migration& m = migrations[i];
    set.migrations[i].file = m.source_name;
    for (const migration::Statement& st : m.statements) {
      if (st.kind == "CREATE TABLE" || st.kind == "CREATE TABLE AS" || st.kind == "SELECT INTO") {
        for (const auto& l : st.locks) created.push_back(l.relation);
      }
    }
    std::vector<migration::RelationRef> existing;
    for (const migration::RelationRef& t : migration::altered_tables(m)) {
      const bool is_new = std::any_of(created.begin(), created.end(), [&](const auto& c) { return same_table(c, t); });
      if (is_new) continue;
      // "orders" and "public.orders" are one table; the qualified name wins.
      auto seen = std::find_if(existing.begin(), existing.end(), [&](const auto& e) { return same_table(e, t); });
      if (seen == existing.end()) {
        existing.push_back(t);
      } else if (seen->schema.empty()) {
        *seen = t;
      }
    }
    if (existing.empty()) {
      set.migrations[i].not_timed = m.statements.empty()
                                        ? "it has no statements to run"
                                        : "it changes no existing table: it only creates tables, or changes tables "
                                          "this set creates (empty when it runs), which is catalog work that takes "
                                          "milliseconds whatever the data";
      continue;
    }
    // One table to time it on; --table picks it when the migration changes several.
    const migration::RelationRef target = existing.size() == 1 ? existing.front() : target_table(m, options.table);
    // "orders" and "public.orders" are one table; the qualified name wins.
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& t) { return same_table(t, target); });
    if (g == groups.end()) {
      groups.push_back(target);
      g = groups.end() - 1;
    } else if (g->schema.empty()) {
      g->schema = target.schema;
    }
    group_of[i] = static_cast<int>(g - groups.begin());
  }
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const migration::RelationRef& target = groups[gi];
    std::vector<migration::Migration> members;
    std::vector<size_t> member_index;
    for (size_t i = 0; i < migrations.size(); ++i) {
      if (group_of[i] == static_cast<int>(gi)) {
        members.push_back(migrations[i]);
        member_index.push_back(i);
      }
    }
    const std::string display_name = target.schema.empty() ? target.name : key(target);
    if (options.sampling.progress) {
      options.sampling.progress(fmt::format("{}: {} migration{} run one after another on its copies", display_name,
                                            members.size(), members.size() == 1 ? "" : "s"));
    }
    EstimateOptions group_options = options;
    group_options.table = display_name;
    const migration::Migration merged = migration::concatenate(members, fmt::format("{} migrations on {}",
                                                                                     members.size(), display_name));
    const reports::EstimateReport r = estimate(merged, group_options);
    for (const std::string& n : r.notes) set.notes.push_back(fmt::format("{}: {}", display_name, n));
    for (const std::string& n : r.samples.notes) set.notes.push_back(fmt::format("{}: {}", display_name, n));
    size_t first = 0;
    for (size_t k = 0; k < members.size(); ++k) {
      set.migrations[member_index[k]].report = part_of(r, members[k], first);
      first += members[k].statements.size();
    }
  }
  summarize(set);
  return set;
}

reports::EstimateReport estimate_with_down(const migration::Migration& up, const migration::Migration& down,
                                           const EstimateOptions& options) {
  const migration::RelationRef target = target_table(up, options.table);
  EstimateOptions both = options;
  both.table = target.schema.empty() ? target.name : key(target);
  both.sampling.round_trip = true;
  const reports::EstimateReport merged =
      estimate(migration::concatenate({up, down}, fmt::format("{} and its way back", up.source_name)), both);
  reports::EstimateReport r = part_of(merged, up, 0);
  r.notes = merged.notes;
  r.samples.notes = merged.samples.notes;
  reports::EstimateReport back = part_of(merged, down, up.statements.size());
  r.down.push_back(std::move(back));
  r.round_trip = merged.samples.round_trip;
  for (const migration::Statement& st : up.statements) {
    for (const migration::Action& a : st.actions) {
      std::string lost;
      if (a.kind == "DROP COLUMN") lost = fmt::format("drops column {} and its values", a.column);
      else if (st.kind == "DROP TABLE") lost = "drops the table and its rows";
      else if (a.kind == "TRUNCATE") lost = "removes every row";
      if (!lost.empty()) {
        r.irreversible.push_back(fmt::format("{} {}: it {}, which no down migration can bring back (keep a copy first)",
                                             migration::location(up, st), st.kind, lost));
      }
    }
  }
  if (r.round_trip) {
    if (r.round_trip->rows_before != r.round_trip->rows_after) {
      r.irreversible.push_back(fmt::format("after up and down, the copy has {} rows instead of {}",
                                           r.round_trip->rows_after, r.round_trip->rows_before));
    }
    for (const std::string& column : r.round_trip->changed_columns) {
      r.irreversible.push_back(fmt::format("after up and down, column {} no longer holds its values (a narrowing type "
                                           "change, or a column dropped and added back?)",
                                           column));
    }
  }
  return r;
}

void summarize(reports::EstimateSet& set) {
  set.total_seconds = set.total_low_seconds = set.total_high_seconds = 0;
  set.max_lock_hold_seconds.clear();
  set.verdict = reports::Verdict::ok;
  for (const reports::MigrationEntry& e : set.migrations) {
    if (!e.report) continue;
    set.total_seconds += e.report->total_seconds;
    set.total_low_seconds += e.report->total_low_seconds;
    set.total_high_seconds += e.report->total_high_seconds;
    for (const auto& [mode, seconds] : e.report->max_lock_hold_seconds) {
      set.max_lock_hold_seconds[mode] = std::max(set.max_lock_hold_seconds[mode], seconds);
    }
    // A migration over the gate fails the set, even when the others are short.
    set.verdict = std::max(set.verdict, e.report->verdict);
  }
  set.verdict = std::max(set.verdict, reports::verdict_for(set.total_seconds, set.thresholds));
  set.upper_verdict = std::max(set.verdict, reports::verdict_for(set.total_high_seconds, set.thresholds));
}

void add_simulation(reports::EstimateReport& r, const sim::TrafficProfile& traffic, const std::string& traffic_file,
                    double target_p99_ms, std::uint64_t seed) {
  const sim::MigrationTimeline timeline = reports::estimate_timeline(r);
  sim::SimulationOptions o;
  o.seed = seed;
  reports::SimulationRun run;
  run.traffic_file = traffic_file;
  run.target_p99_ms = target_p99_ms;
  run.result = sim::simulate(traffic, timeline, o);
  run.advice = sim::recommend_lock_timeout(traffic, timeline, o, target_p99_ms);
  r.simulation = std::move(run);
}

}  // namespace migsim::app
