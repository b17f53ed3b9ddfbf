#include <nlohmann/json.hpp>

#include "reports/render.h"
#include "reports/simulation_io.h"

namespace migsim::reports {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

ordered_json lock_list(const migration::Statement& st) {
  ordered_json locks = ordered_json::array();
  for (const auto& l : st.locks) {
    locks.push_back({{"relation", l.relation.schema.empty() ? l.relation.name : l.relation.schema + "." + l.relation.name},
                     {"mode", sim::lock_mode_name(l.mode)}});
  }
  return locks;
}

ordered_json holds_json(const std::map<sim::LockMode, double>& holds) {
  ordered_json j = ordered_json::object();
  for (const auto& [mode, seconds] : holds) j[std::string(sim::lock_mode_name(mode))] = seconds;
  return j;
}

ordered_json total_json(double predicted, double low, double high, const std::map<sim::LockMode, double>& holds,
                        Verdict verdict, Verdict upper) {
  ordered_json j = {{"predicted_seconds", predicted},
                    {"interval", {low, high}},
                    {"max_lock_hold_seconds", holds_json(holds)},
                    {"upper_bound_exceeds", upper > verdict ? ordered_json(verdict_name(upper)) : ordered_json(nullptr)}};
  return j;
}

ordered_json thresholds_json(const estimators::Thresholds& t) {
  return {{"warning_seconds", t.warning_seconds}, {"critical_seconds", t.critical_seconds}};
}

ordered_json estimate_json(const EstimateReport& r) {
  ordered_json j;
  j["schema_version"] = kSchemaVersion;
  j["migration"] = {{"file", r.migration.source_name}, {"statements", r.migration.statements.size()}};
  j["table"] = {{"schema", r.table.schema},
                {"name", r.table.name},
                {"rows", r.table.rows},
                {"rows_source", r.table.rows_source},
                {"bytes", r.table.total_bytes},
                {"table_bytes", r.table.table_bytes},
                {"index_bytes", r.table.index_bytes},
                {"indexes", r.table.index_count},
                {"unordered_index_bytes", r.table.unordered_index_bytes}};
  const auto& sv = r.table.server;
  j["server"] = {{"version", sv.version},
                 {"version_num", sv.version_num},
                 {"shared_buffers", sv.shared_buffers},
                 {"maintenance_work_mem", sv.maintenance_work_mem},
                 {"work_mem", sv.work_mem},
                 {"max_parallel_maintenance_workers", sv.max_parallel_maintenance_workers},
                 {"max_wal_size", sv.max_wal_size},
                 {"checkpoint_completion_target", sv.checkpoint_completion_target},
                 {"wal_segment_bytes", sv.wal_segment_bytes},
                 {"wal_init_zero", sv.wal_init_zero},
                 {"wal_segments_ahead", sv.wal_segments_ahead}};
  j["sampling"] = {{"method", r.samples.method},
                   {"reason", r.samples.method_reason},
                   {"seed", r.samples.seed},
                   {"repeats", r.samples.repeats},
                   {"agreement", r.samples.agreement},
                   {"slice_rows", r.samples.slice_rows},
                   {"slice_bytes", r.samples.slice_bytes},
                   {"whole_table", r.samples.whole_table}};

  ordered_json representativeness = ordered_json::array();
  for (const sampler::SliceStats& st : r.samples.slice_stats) {
    ordered_json columns = ordered_json::array();
    for (const auto& c : st.columns) {
      columns.push_back({{"name", c.name}, {"null_frac_source", c.null_frac_source}, {"null_frac_slice", c.null_frac_slice}});
    }
    representativeness.push_back({{"n", st.rows},
                                  {"row_width_source", st.row_width_source},
                                  {"row_width_slice", st.row_width_slice},
                                  {"representative", st.representative},
                                  {"columns", columns}});
  }
  j["sampling"]["representativeness"] = representativeness;
  if (const auto& probe = r.samples.source_read) {
    j["sampling"]["source_read"] = {{"source_rows", probe->source_rows},   {"source_pages", probe->source_pages},
                                    {"source_seconds", probe->source_seconds}, {"copy_rows", probe->copy_rows},
                                    {"copy_pages", probe->copy_pages},     {"copy_seconds", probe->copy_seconds}};
  } else {
    j["sampling"]["source_read"] = nullptr;
  }

  ordered_json samples = ordered_json::array();
  for (const sampler::SliceRun& run : r.samples.runs) {
    ordered_json statements = ordered_json::array();
    for (size_t i = 0; i < run.statements.size(); ++i) {
      const sampler::StatementRun& s = run.statements[i];
      if (!s.executed) continue;
      ordered_json locks = ordered_json::array();
      for (const auto& l : s.locks) locks.push_back({{"relation", l.relation}, {"mode", sim::lock_mode_name(l.mode)}});
      statements.push_back({{"index", i},
                            {"seconds", s.seconds},
                            {"commit_seconds", s.commit_seconds},
                            {"locks", s.locks_observed ? locks : ordered_json(nullptr)},
                            {"rewrite", s.rewrote},
                            {"wal_bytes", s.wal_bytes},
                            {"temp_bytes", s.temp_bytes},
                            {"rows_affected", s.rows_affected}});
      if (s.index_workers >= 0) statements.back()["index_workers"] = s.index_workers;
      if (s.not_null_proven) statements.back()["not_null_proven"] = true;
    }
    samples.push_back({{"n", run.rows},
                       {"bytes", run.bytes},
                       {"repeat", run.repeat},
                       {"rolled_back", run.rolled_back},
                       {"statements", statements}});
  }
  j["samples"] = samples;

  ordered_json statements = ordered_json::array();
  for (const StatementEstimate& e : r.statements) {
    const migration::Statement& st = r.migration.statements[e.index];
    const auto& f = e.forecast;
    ordered_json candidates = ordered_json::array();
    for (const auto& c : f.candidates) {
      candidates.push_back({{"model", estimators::model_name(c.model)},
                            {"predicted_seconds", c.predicted_seconds},
                            {"held_out_error", c.held_out_error}});
    }
    ordered_json s = {{"index", e.index},
                      {"sql", st.sql},
                      {"line", st.line},
                      {"column", st.column},
                      {"kind", st.kind},
                      {"lock_modes", lock_list(st)},
                      {"effect", migration::effect_name(st.effect)},
                      {"depends_on", st.depends_on.empty() ? ordered_json(nullptr) : ordered_json(st.depends_on)},
                      {"model", estimators::model_name(f.model)},
                      {"model_reason", f.reason},
                      {"candidates", candidates},
                      {"predicted_seconds", f.predicted_seconds},
                      {"interval", {f.low_seconds, f.high_seconds}},
                      {"confidence", f.confidence},
                      {"extrapolation_factor", f.extrapolation_factor},
                      {"lock_hold_seconds", e.lock_hold_seconds}};
    if (e.actual_seconds) s["actual_seconds"] = *e.actual_seconds;
    if (e.batches) {
      const estimators::BatchForecast& b = *e.batches;
      s["batches"] = {{"batch_rows", b.batch_rows},
                      {"pause_seconds", b.pause_seconds},
                      {"rows_to_write", b.rows_to_write},
                      {"count", b.batches},
                      {"batch_seconds", b.batch_seconds},
                      {"batch_interval", {b.batch_low_seconds, b.batch_high_seconds}},
                      {"overhead_seconds", b.overhead_seconds},
                      {"seconds_per_row", b.seconds_per_row},
                      {"rows_locked_per_batch", b.batch_rows},
                      {"target_batch_seconds", b.target_batch_seconds},
                      {"recommended_batch_rows", b.recommended_batch_rows},
                      {"recommendation", b.reason},
                      {"measured_batches", b.measured_batches},
                      {"sql", e.batch_sql}};
    }
    ordered_json findings = ordered_json::array();
    for (const migration::Finding& finding : r.findings) {
      if (finding.statement != e.index) continue;
      findings.push_back({{"rule", finding.rule},
                          {"severity", migration::severity_name(finding.severity)},
                          {"message", finding.message}});
    }
    s["findings"] = findings;
    statements.push_back(s);
  }
  j["statements"] = statements;

  j["total"] = total_json(r.total_seconds, r.total_low_seconds, r.total_high_seconds, r.max_lock_hold_seconds,
                          r.verdict, r.upper_verdict);
  ordered_json holds = ordered_json::array();
  for (const LockHoldEstimate& h : r.lock_holds) {
    holds.push_back({{"relation", h.relation},
                     {"mode", sim::lock_mode_name(h.mode)},
                     {"seconds", h.seconds},
                     {"interval", {h.low_seconds, h.high_seconds}}});
  }
  j["total"]["lock_holds"] = holds;
  if (r.actual_total_seconds) j["total"]["actual_seconds"] = *r.actual_total_seconds;
  j["verdict"] = verdict_name(r.verdict);
  j["thresholds"] = thresholds_json(r.thresholds);
  // How its locks are asked for: the lock simulator reads these (simulate --timeline estimate.json).
  const std::optional<double> lock_timeout = migration::lock_timeout_seconds(r.migration);
  j["lock_timeout_s"] = lock_timeout ? ordered_json(*lock_timeout) : ordered_json(nullptr);
  j["retries"] = r.migration.retry ? r.migration.retry->attempts - 1 : 0;
  j["retry_backoff_s"] = r.migration.retry ? r.migration.retry->backoff_s : 1.0;
  ordered_json notes = ordered_json::array();
  for (const auto& n : r.migration.notes) notes.push_back(n);
  for (const auto& n : r.notes) notes.push_back(n);
  for (const auto& n : r.samples.notes) notes.push_back(n);
  j["notes"] = notes;
  if (r.simulation) {
    j["simulation"] = simulation_json(r.simulation->result, r.simulation->advice, r.simulation->target_p99_ms);
    j["simulation"]["traffic_file"] = r.simulation->traffic_file;
  }
  if (!r.down.empty()) {
    j["down"] = estimate_json(r.down.front());
    ordered_json trip = nullptr;
    if (r.round_trip) {
      trip = {{"schema_restored", r.round_trip->schema_restored()},
              {"schema_differences", r.round_trip->schema_differences},
              {"data_intact", r.round_trip->data_intact()},
              {"rows_before", r.round_trip->rows_before},
              {"rows_after", r.round_trip->rows_after},
              {"changed_columns", r.round_trip->changed_columns}};
    }
    j["round_trip"] = trip;
    j["irreversible"] = r.irreversible;
  }
  return j;
}

}  // namespace

std::string render_json(const EstimateReport& r) { return estimate_json(r).dump(2) + "\n"; }

std::string render_json(const EstimateSet& set) {
  ordered_json j;
  j["schema_version"] = kSchemaVersion;
  j["source"] = set.source;
  j["layout"] = set.layout;
  j["since"] = set.since.empty() ? ordered_json(nullptr) : ordered_json(set.since);
  ordered_json migrations = ordered_json::array();
  for (const MigrationEntry& e : set.migrations) {
    migrations.push_back(e.report ? estimate_json(*e.report)
                                  : ordered_json{{"migration", {{"file", e.file}}}, {"not_timed", e.not_timed}});
  }
  j["migrations"] = migrations;
  j["total"] = total_json(set.total_seconds, set.total_low_seconds, set.total_high_seconds, set.max_lock_hold_seconds,
                          set.verdict, set.upper_verdict);
  j["verdict"] = verdict_name(set.verdict);
  j["thresholds"] = thresholds_json(set.thresholds);
  j["notes"] = set.notes;
  return j.dump(2) + "\n";
}

namespace {

ordered_json blocking_json(const std::optional<sim::LockMode>& mode, double seconds) {
  if (!mode) return nullptr;
  return {{"mode", sim::lock_mode_name(*mode)}, {"hold_seconds", seconds}};
}

}  // namespace

std::string render_json(const Comparison& c) {
  ordered_json j;
  j["schema_version"] = kSchemaVersion;
  j["table"] = {{"name", c.table}, {"rows", c.table_rows}};
  j["traffic_file"] = c.traffic_file.empty() ? ordered_json(nullptr) : ordered_json(c.traffic_file);
  j["target_p99_ms"] = c.target_p99_ms;
  ordered_json strategies = ordered_json::array();
  for (const StrategyResult& s : c.strategies) {
    ordered_json phases = ordered_json::array();
    for (const PhaseResult& p : s.phases) {
      ordered_json ph = {{"name", p.name}, {"file", p.file}};
      if (!p.report) {
        ph["not_timed"] = p.not_timed;
        ph["predicted_seconds"] = 0;
        ph["interval"] = {0, 0};
        ph["max_lock_hold_s"] = ordered_json::object();
        ph["simulation"] = nullptr;
      } else {
        const EstimateReport& r = *p.report;
        ph["predicted_seconds"] = r.total_seconds;
        ph["interval"] = {r.total_low_seconds, r.total_high_seconds};
        ph["max_lock_hold_s"] = holds_json(r.max_lock_hold_seconds);
        ph["simulation"] = r.simulation ? simulation_json(r.simulation->result, r.simulation->advice,
                                                          r.simulation->target_p99_ms)
                                        : ordered_json(nullptr);
      }
      ph["blocking_lock"] = blocking_json(p.blocking_mode, p.blocking_hold_seconds);
      ph["safe"] = p.safe;
      ph["needs_lock_timeout"] = p.needs_lock_timeout;
      if (p.report) ph["estimate"] = estimate_json(*p.report);
      phases.push_back(ph);
    }
    ordered_json st = {{"name", s.name},
                       {"path", s.path},
                       {"deploys", s.deploys},
                       {"total_seconds", s.total_seconds},
                       {"interval", {s.total_low_seconds, s.total_high_seconds}},
                       {"max_lock_hold_s", holds_json(s.max_lock_hold_seconds)},
                       {"blocking_lock", blocking_json(s.blocking_mode, s.blocking_hold_seconds)},
                       {"safe", s.safe},
                       {"needs_lock_timeout", s.needs_lock_timeout},
                       {"verdict", verdict_name(s.verdict)}};
    st["simulation"] = s.simulated ? ordered_json{{"blocked_queries", s.blocked_queries},
                                                  {"worst_p99_wait_ms", s.worst_p99_wait_ms},
                                                  {"pool_exhausted", s.pool_exhausted},
                                                  {"migration_gave_up", s.migration_gave_up}}
                                   : ordered_json(nullptr);
    st["phases"] = phases;
    strategies.push_back(st);
  }
  j["strategies"] = strategies;
  j["recommended"] = c.recommended;
  j["reason"] = c.reason;
  j["verdict"] = verdict_name(c.verdict);
  j["thresholds"] = thresholds_json(c.thresholds);
  ordered_json notes = ordered_json::array();
  for (const auto& n : c.notes) notes.push_back(n);
  j["notes"] = notes;
  return j.dump(2) + "\n";
}

}  // namespace migsim::reports
