#include "app/estimate_pipeline.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "estimators/lock_hold.h"
#include "sampler/errors.h"

namespace migsim::app {
namespace {

std::string display(const migration::RelationRef& r) { return r.schema.empty() ? r.name : r.schema + "." + r.name; }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

reports::Observed observe(const sampler::Samples& samples, size_t index) {
  reports::Observed o;
  long long largest = 0;
  for (const auto& run : samples.runs) largest = std::max(largest, run.rows);
  std::vector<double> wal_per_row;
  for (const auto& run : samples.runs) {
    const sampler::StatementRun& s = run.statements.at(index);
    if (!s.executed) continue;
    o.runs = true;
    o.rewrote = o.rewrote || s.rewrote;
    o.locks_observable = o.locks_observable || s.locks_observed;
    for (const auto& l : s.locks) {
      if (std::find(o.lock_modes.begin(), o.lock_modes.end(), l.mode) == o.lock_modes.end()) o.lock_modes.push_back(l.mode);
    }
    if (run.rows == largest && run.rows > 0) wal_per_row.push_back(static_cast<double>(s.wal_bytes) / static_cast<double>(run.rows));
  }
  std::sort(o.lock_modes.begin(), o.lock_modes.end());
  o.wal_bytes_per_row = median(wal_per_row);
  return o;
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
  for (size_t i = 0; i < m.statements.size(); ++i) {
    const migration::Statement& st = m.statements[i];
    reports::StatementEstimate e;
    e.index = i;
    e.observed = observe(r.samples, i);
    std::vector<estimators::Point> points;
    for (const auto& run : r.samples.runs) {
      const auto& s = run.statements.at(i);
      if (s.executed) points.push_back({static_cast<double>(run.rows), s.seconds});
    }
    bool constant = st.effect == migration::Effect::catalog || st.effect == migration::Effect::none;
    if (constant && e.observed.rewrote) {
      constant = false;
      r.notes.push_back(fmt::format("statement {} (line {}) was classified as {} but rewrote the copy; it was "
                                    "estimated from its timings instead",
                                    i + 1, st.line, migration::effect_name(st.effect)));
    }
    e.forecast = estimators::forecast(points, r.table.rows,
                                      constant ? estimators::Scaling::constant : estimators::Scaling::grows);
    for (const auto& l : st.locks) {
      e.strongest_lock = e.strongest_lock ? sim::stronger(*e.strongest_lock, l.mode) : l.mode;
    }
    if (e.forecast.extrapolation_factor > 100) {
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
  return r;
}

void summarize(reports::EstimateReport& r) {
  std::vector<estimators::TimedStatement> timed;
  const std::vector<int> blocks = migration::transaction_blocks(r.migration);
  r.total_seconds = r.total_low_seconds = r.total_high_seconds = 0;
  for (const reports::StatementEstimate& e : r.statements) {
    timed.push_back({e.forecast.predicted_seconds, e.strongest_lock ? static_cast<int>(*e.strongest_lock) : 0,
                     blocks.at(e.index)});
    r.total_seconds += e.forecast.predicted_seconds;
    // Errors of statements on one table move together: add the bounds.
    r.total_low_seconds += e.forecast.low_seconds;
    r.total_high_seconds += e.forecast.high_seconds;
  }
  const estimators::LockHolds holds = estimators::lock_holds(timed);
  r.max_lock_hold_seconds.clear();
  for (size_t i = 0; i < r.statements.size(); ++i) r.statements[i].lock_hold_seconds = holds.per_statement[i];
  for (const auto& [mode, seconds] : holds.max_by_mode) r.max_lock_hold_seconds[static_cast<sim::LockMode>(mode)] = seconds;
  r.verdict = reports::verdict_for(r.total_seconds, r.thresholds);
}

}  // namespace migsim::app
