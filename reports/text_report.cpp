#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "reports/format.h"
#include "reports/render.h"
#include "reports/simulation_io.h"
#include "reports/way_back.h"

namespace migsim::reports {
namespace {

std::string one_line(const std::string& sql, size_t max) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

std::string pad(const std::string& s, size_t width) {
  // Width in characters, not bytes (µ and – are two and three bytes).
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return chars >= width ? s : s + std::string(width - chars, ' ');
}

std::string painted_verdict(Verdict v, bool colour) {
  const Colour c = v == Verdict::ok ? Colour::green : v == Verdict::warning ? Colour::yellow : Colour::red;
  return paint(std::string(verdict_name(v)), c, colour);
}

std::string painted_severity(migration::Severity s, bool colour) {
  const std::string name(migration::severity_name(s));
  return s == migration::Severity::error ? paint(name, Colour::red, colour)
         : s == migration::Severity::warning ? paint(name, Colour::yellow, colour)
                                             : name;
}

// "verdict   ok (warning above 5 min, critical above 1 h); the interval's upper bound may exceed 5 min"
std::string verdict_line(Verdict verdict, Verdict upper, const estimators::Thresholds& t, bool colour) {
  std::string line = fmt::format("  verdict   {} (warning above {}, critical above {})", painted_verdict(verdict, colour),
                                 human_seconds(t.warning_seconds), human_seconds(t.critical_seconds));
  if (upper > verdict) {
    line += fmt::format("; the interval's upper bound may exceed {}",
                        human_seconds(threshold_seconds(upper, t)));
  }
  return line + "\n";
}

}  // namespace

std::string render_text(const EstimateReport& r, bool colour) {
  std::string out;
  const auto& t = r.table;
  const auto& s = r.samples;
  out += fmt::format("migsim estimate: {} on {}.{}\n\n", r.migration.source_name, t.schema, t.name);
  out += fmt::format("  table     {} rows ({}), table {} + indexes {} ({} indexes), {} per row\n",
                     grouped(std::llround(t.rows)), t.rows_source, human_bytes(static_cast<double>(t.table_bytes)),
                     human_bytes(static_cast<double>(t.index_bytes)), t.index_count, human_bytes(t.avg_row_bytes));
  out += fmt::format("  server    {}\n", t.server.version.substr(0, t.server.version.find(" on ")));
  out += fmt::format("            shared_buffers {}, maintenance_work_mem {}, work_mem {}, "
                     "max_parallel_maintenance_workers {}\n",
                     t.server.shared_buffers, t.server.maintenance_work_mem, t.server.work_mem,
                     t.server.max_parallel_maintenance_workers);
  std::string slices;
  for (size_t i = 0; i < s.slice_rows.size(); ++i) slices += (i ? " / " : "") + grouped(s.slice_rows[i]);
  out += fmt::format("  sampling  {}{}, {}; slices of {} rows\n", s.method,
                     s.whole_table ? "" : fmt::format(" (seed {})", s.seed), runs_per_slice(s), slices);
  for (const sampler::SliceStats& st : s.slice_stats) {
    double worst_nulls = 0;
    std::string worst_column;
    for (const auto& c : st.columns) {
      const double d = std::abs(c.null_frac_slice - c.null_frac_source);
      if (d >= worst_nulls) {
        worst_nulls = d;
        worst_column = c.name;
      }
    }
    out += fmt::format("            slice of {} rows: row width {:.0f} B vs {:.0f} B in the source ({:+.1f} %), "
                       "null fractions within {:.1f} points ({}){}\n",
                       grouped(st.rows), st.row_width_slice, st.row_width_source,
                       st.row_width_source > 0 ? 100 * (st.row_width_slice / st.row_width_source - 1) : 0.0,
                       100 * worst_nulls, worst_column,
                       st.representative ? "" : paint("  NOT REPRESENTATIVE", Colour::yellow, colour));
  }
  out += "\n";

  const bool verify = r.actual_total_seconds.has_value();
  std::string header = fmt::format("  {:<3} {:<7} {} {} {} {} {}", "#", "line", pad("statement", 44), pad("effect", 12),
                                   pad("lock", 22), pad("predicted", 11), pad("interval (90 %)", 22));
  header += verify ? fmt::format("{} {}", pad("lock held", 10), "actual") : "lock held";
  out += header + "\n";
  for (const StatementEstimate& e : r.statements) {
    const migration::Statement& st = r.migration.statements[e.index];
    if (st.is_transaction_control) continue;
    const auto& f = e.forecast;
    const std::string lock = e.strongest_lock ? std::string(sim::lock_mode_name(*e.strongest_lock)) : "-";
    std::string row = fmt::format(
        "  {:<3} {:<7} {} {} {} {} {}", e.index + 1, fmt::format("{}:{}", st.line, st.column),
        pad(one_line(st.sql, 44), 44), pad(std::string(migration::effect_name(st.effect)), 12), pad(lock, 22),
        pad(human_seconds(f.predicted_seconds), 11),
        pad(fmt::format("{} – {}", human_seconds(f.low_seconds), human_seconds(f.high_seconds)), 22));
    row += verify ? fmt::format("{} {}", pad(human_seconds(e.lock_hold_seconds), 10),
                                e.actual_seconds ? human_seconds(*e.actual_seconds) : "-")
                  : human_seconds(e.lock_hold_seconds);
    out += row + "\n";
    out += fmt::format("      {}: {}\n", st.kind, f.reason);
    if (!st.depends_on.empty()) out += fmt::format("      depends on {}\n", st.depends_on);
    if (e.batches) {
      const estimators::BatchForecast& b = *e.batches;
      out += fmt::format("      batches: each locks {} rows for {} ({} – {}); for batches under {}: {}\n",
                         grouped(b.batch_rows), human_seconds(b.batch_seconds), human_seconds(b.batch_low_seconds),
                         human_seconds(b.batch_high_seconds), human_seconds(b.target_batch_seconds),
                         b.recommended_batch_rows > 0 ? fmt::format("batch_size={} ({})", b.recommended_batch_rows, b.reason)
                                                      : b.reason);
      out += fmt::format("      one batch (resumable; $1 = the last key of the previous batch): {}\n", e.batch_sql);
    }
    for (const migration::Finding& finding : r.findings) {
      if (finding.statement == e.index) {
        out += fmt::format("      {} {}: {}\n", painted_severity(finding.severity, colour), finding.rule,
                           finding.message);
      }
    }
    if (e.observed.runs) {
      std::string modes;
      for (sim::LockMode m : e.observed.lock_modes) modes += (modes.empty() ? "" : ", ") + std::string(sim::lock_mode_name(m));
      out += fmt::format("      on the copy: {}, locks {}, WAL {} per row\n",
                         e.observed.rewrote ? "table rewritten" : "no rewrite",
                         e.observed.locks_observable ? (modes.empty() ? "none on the table" : modes)
                                                     : "not observable outside a transaction",
                         human_bytes(e.observed.wal_bytes_per_row));
    }
  }
  out += "\n";
  out += fmt::format("  total     {} (90 % interval {} – {})\n", human_seconds(r.total_seconds),
                     human_seconds(r.total_low_seconds), human_seconds(r.total_high_seconds));
  if (verify) {
    out += fmt::format("  actual    {} on the full table (predicted/actual {:.2f})\n",
                       human_seconds(*r.actual_total_seconds),
                       *r.actual_total_seconds > 0 ? r.total_seconds / *r.actual_total_seconds : 0.0);
  }
  for (const LockHoldEstimate& h : r.lock_holds) {
    out += fmt::format("  lock      {} on {} held {} ({} – {}): blocks {}\n", sim::lock_mode_name(h.mode), h.relation,
                       human_seconds(h.seconds), human_seconds(h.low_seconds), human_seconds(h.high_seconds),
                       sim::lock_mode_blocks(h.mode));
  }
  out += verdict_line(r.verdict, r.upper_verdict, r.thresholds, colour);
  if (r.simulation) {
    out += fmt::format("\n  traffic   {} (lock simulator, the estimate's lock timeline from 1 s)\n",
                       r.simulation->traffic_file);
    out += render_simulation_text(r.simulation->result, r.simulation->advice, r.simulation->target_p99_ms);
  }
  const std::vector<std::string> back = detail::way_back_sentences(r);
  for (size_t i = 0; i < back.size(); ++i) {
    const bool bad = back[i].find(" NOT ") != std::string::npos || back[i].rfind("irreversible", 0) == 0;
    out += fmt::format("{}{}\n", i == 0 ? "\n  way back  " : "            ", bad ? paint(back[i], Colour::yellow, colour) : back[i]);
  }
  for (const std::string& n : r.migration.notes) out += fmt::format("  note      {}\n", n);
  for (const std::string& n : r.notes) out += fmt::format("  note      {}\n", n);
  for (const std::string& n : s.notes) out += fmt::format("  note      {}\n", n);
  return out;
}

std::string render_text(const EstimateSet& set, bool colour) {
  std::string out = fmt::format("migsim estimate: {} migration{} in {} ({}){}\n", set.migrations.size(),
                                set.migrations.size() == 1 ? "" : "s", set.source, set.layout,
                                set.since.empty() ? "" : fmt::format(", changed since {}", set.since));
  for (size_t i = 0; i < set.migrations.size(); ++i) {
    const MigrationEntry& e = set.migrations[i];
    out += fmt::format("\n{}\n", paint(fmt::format("[{}/{}] {}", i + 1, set.migrations.size(), e.file), Colour::bold, colour));
    out += e.report ? render_text(*e.report, colour) : fmt::format("  not timed: {}\n", e.not_timed);
  }
  out += fmt::format("\n{}\n", paint("all migrations", Colour::bold, colour));
  size_t width = 0;
  for (const MigrationEntry& e : set.migrations) width = std::max(width, e.file.size());
  for (const MigrationEntry& e : set.migrations) {
    if (!e.report) {
      out += fmt::format("  {}  not timed\n", pad(e.file, width));
      continue;
    }
    out += fmt::format("  {}  {} (90 % interval {} – {})  {}\n", pad(e.file, width), pad(human_seconds(e.report->total_seconds), 11),
                       human_seconds(e.report->total_low_seconds), human_seconds(e.report->total_high_seconds),
                       painted_verdict(e.report->verdict, colour));
  }
  out += fmt::format("  total     {} (90 % interval {} – {})\n", human_seconds(set.total_seconds),
                     human_seconds(set.total_low_seconds), human_seconds(set.total_high_seconds));
  for (auto it = set.max_lock_hold_seconds.rbegin(); it != set.max_lock_hold_seconds.rend(); ++it) {
    out += fmt::format("  lock      {} held up to {} by one migration: blocks {}\n", sim::lock_mode_name(it->first),
                       human_seconds(it->second), sim::lock_mode_blocks(it->first));
  }
  out += verdict_line(set.verdict, set.upper_verdict, set.thresholds, colour);
  for (const std::string& n : set.notes) out += fmt::format("  note      {}\n", n);
  return out;
}

namespace {

// The lock modes any strategy takes, strongest first.
std::vector<sim::LockMode> modes_taken(const Comparison& c) {
  std::vector<sim::LockMode> modes;
  for (const StrategyResult& s : c.strategies) {
    for (const auto& [mode, seconds] : s.max_lock_hold_seconds) {
      if (std::find(modes.begin(), modes.end(), mode) == modes.end()) modes.push_back(mode);
    }
  }
  std::sort(modes.rbegin(), modes.rend());
  return modes;
}

std::string phase_line(const PhaseResult& p) {
  if (!p.report) return fmt::format("not timed: {}", p.not_timed);
  const EstimateReport& r = *p.report;
  std::string out = fmt::format("{} ({} – {})", human_seconds(r.total_seconds), human_seconds(r.total_low_seconds),
                                human_seconds(r.total_high_seconds));
  for (auto it = r.max_lock_hold_seconds.rbegin(); it != r.max_lock_hold_seconds.rend(); ++it) {
    out += fmt::format(", {} {}", sim::lock_mode_name(it->first), human_seconds(it->second));
  }
  return out;
}

}  // namespace

std::string render_text(const Comparison& c, bool colour) {
  std::string out = fmt::format("migsim compare: {} strategies for {} ({} rows)\n\n", c.strategies.size(), c.table,
                                grouped(static_cast<long long>(c.table_rows)));
  size_t width = 8;
  for (const StrategyResult& s : c.strategies) width = std::max(width, s.name.size());
  const std::vector<sim::LockMode> modes = modes_taken(c);
  out += fmt::format("  {}  deploys  {}  {}  {}{}  safe\n", pad("strategy", width), pad("total", 11),
                     pad("interval (90 %)", 25), pad("lock that blocks the traffic", 40),
                     c.traffic_file.empty() ? "" : "  blocked queries  p99 wait");
  for (const StrategyResult& s : c.strategies) {
    const std::string blocking = s.blocking_mode ? fmt::format("{} {}", sim::lock_mode_name(*s.blocking_mode),
                                                               human_seconds(s.blocking_hold_seconds))
                                                 : std::string("none");
    out += fmt::format("  {}  {}  {}  {}  {}{}  {}\n", pad(s.name, width), pad(std::to_string(s.deploys), 7),
                       pad(human_seconds(s.total_seconds), 11),
                       pad(fmt::format("{} – {}", human_seconds(s.total_low_seconds), human_seconds(s.total_high_seconds)), 25),
                       pad(blocking, 40),
                       s.simulated ? fmt::format("  {}  {}", pad(grouped(s.blocked_queries), 15),
                                                 pad(human_seconds(s.worst_p99_wait_ms / 1e3), 8))
                                   : (c.traffic_file.empty() ? "" : fmt::format("  {}  {}", pad("-", 15), pad("-", 8))),
                       s.safe ? paint("yes", Colour::green, colour) : paint("no", Colour::red, colour));
  }
  out += fmt::format("\n  longest hold of each lock mode\n  {}", pad("", 26));
  for (const StrategyResult& s : c.strategies) out += "  " + pad(s.name, std::max<size_t>(s.name.size(), 11));
  out += "\n";
  for (sim::LockMode mode : modes) {
    out += "  " + pad(std::string(sim::lock_mode_name(mode)), 26);
    for (const StrategyResult& s : c.strategies) {
      const auto it = s.max_lock_hold_seconds.find(mode);
      out += "  " + pad(it == s.max_lock_hold_seconds.end() ? "-" : human_seconds(it->second),
                        std::max<size_t>(s.name.size(), 11));
    }
    out += "\n";
  }
  out += "\n  phases\n";
  for (const StrategyResult& s : c.strategies) {
    out += fmt::format("  {} ({})\n", paint(s.name, Colour::bold, colour), s.path);
    for (size_t i = 0; i < s.phases.size(); ++i) {
      const PhaseResult& p = s.phases[i];
      out += fmt::format("    {}. {}  {}\n", i + 1, p.name, phase_line(p));
      if (!p.report) continue;
      for (const StatementEstimate& e : p.report->statements) {
        if (!e.batches) continue;
        const estimators::BatchForecast& b = *e.batches;
        out += fmt::format("       batches: {} x {} rows, each {} ({} – {}) + {} pause; under {} per batch: {}\n",
                           grouped(b.batches), grouped(b.batch_rows), human_seconds(b.batch_seconds),
                           human_seconds(b.batch_low_seconds), human_seconds(b.batch_high_seconds),
                           human_seconds(b.pause_seconds), human_seconds(b.target_batch_seconds),
                           b.recommended_batch_rows > 0 ? fmt::format("batch_size={}", b.recommended_batch_rows) : b.reason);
      }
      if (p.report->simulation) {
        const sim::SimulationResult& r = p.report->simulation->result;
        out += fmt::format("       traffic: {} of {} queries blocked, p99 wait {}, {}\n", grouped(r.blocked_queries),
                           grouped(r.queries), human_seconds(r.wait.p99_ms / 1e3),
                           r.pool_exhausted_at_s ? fmt::format("pool exhausted at {:.2f} s", *r.pool_exhausted_at_s)
                                                 : std::string("pool never exhausted"));
        const sim::LockTimeoutAdvice& a = p.report->simulation->advice;
        if (p.needs_lock_timeout) {
          out += fmt::format("       safe with SET lock_timeout = '{:.0f}ms' and up to {} retries (backoff from {:.1f} s): "
                             "p99 wait {}\n",
                             a.lock_timeout_s * 1e3, a.retries, a.retry_backoff_s, human_seconds(a.result.wait.p99_ms / 1e3));
        }
      }
    }
  }
  out += fmt::format("\n  {}  {}\n", paint("recommended", Colour::bold, colour), c.recommended);
  out += fmt::format("  why          {}\n", c.reason);
  for (const std::string& n : c.notes) out += fmt::format("  note         {}\n", n);
  return out;
}

}  // namespace migsim::reports
