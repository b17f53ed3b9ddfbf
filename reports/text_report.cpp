#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "reports/format.h"
#include "reports/render.h"

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

}  // namespace

std::string render_text(const EstimateReport& r) {
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
  out += fmt::format("  sampling  {}{}, {} run{} per slice; slices of {} rows\n", s.method,
                     s.whole_table ? "" : fmt::format(" (seed {})", s.seed), s.repeats, s.repeats == 1 ? "" : "s",
                     slices);
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
                       100 * worst_nulls, worst_column, st.representative ? "" : "  NOT REPRESENTATIVE");
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
    for (const migration::Finding& finding : r.findings) {
      if (finding.statement == e.index) {
        out += fmt::format("      {} {}: {}\n", migration::severity_name(finding.severity), finding.rule, finding.message);
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
  for (auto it = r.max_lock_hold_seconds.rbegin(); it != r.max_lock_hold_seconds.rend(); ++it) {
    out += fmt::format("  lock      {} held up to {}: blocks {} on {}.{}\n", sim::lock_mode_name(it->first),
                       human_seconds(it->second), sim::lock_mode_blocks(it->first), t.schema, t.name);
  }
  out += fmt::format("  verdict   {} (warning above {}, critical above {})\n", verdict_name(r.verdict),
                     human_seconds(r.thresholds.warning_seconds), human_seconds(r.thresholds.critical_seconds));
  for (const std::string& n : r.notes) out += fmt::format("  note      {}\n", n);
  for (const std::string& n : s.notes) out += fmt::format("  note      {}\n", n);
  return out;
}

}  // namespace migsim::reports
