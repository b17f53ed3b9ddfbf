#include <fmt/format.h>

#include "reports/format.h"
#include "reports/render.h"
#include "reports/way_back.h"

namespace migsim::reports {
namespace {

// Markdown table cells: no pipes or newlines.
std::string cell(const std::string& s, size_t max = 80) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r' || c == '\t') out += ' ';
    else out += c;
  }
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

std::string verdict_badge(Verdict v) {
  switch (v) {
    case Verdict::ok: return "✅ ok";
    case Verdict::warning: return "⚠️ warning";
    case Verdict::critical: return "🛑 critical";
  }
  return "ok";
}

std::string may_exceed(Verdict verdict, Verdict upper, const estimators::Thresholds& t) {
  if (upper <= verdict) return "";
  return fmt::format("; may exceed {}", human_seconds(threshold_seconds(upper, t)));
}

// The statement table, findings and folded details of one migration.
std::string body(const EstimateReport& r) {
  std::string out;
  out += "| # | line | statement | locks | effect | predicted | 90 % interval | lock held |\n";
  out += "|---|---|---|---|---|---|---|---|\n";
  for (const StatementEstimate& e : r.statements) {
    const migration::Statement& st = r.migration.statements[e.index];
    if (st.is_transaction_control) continue;
    std::string locks;
    for (const auto& l : st.locks) {
      locks += fmt::format("{}`{}` {}", locks.empty() ? "" : "<br>", l.relation.name, sim::lock_mode_name(l.mode));
    }
    out += fmt::format("| {} | {} | `{}` | {} | {} | {} | {} – {} | {} |\n", e.index + 1, st.line, cell(st.sql),
                       locks.empty() ? "–" : locks, migration::effect_name(st.effect),
                       human_seconds(e.forecast.predicted_seconds), human_seconds(e.forecast.low_seconds),
                       human_seconds(e.forecast.high_seconds), human_seconds(e.lock_hold_seconds));
  }
  if (!r.findings.empty()) {
    out += "\n**Findings**\n\n";
    for (const migration::Finding& f : r.findings) {
      const migration::Rule* rule = migration::find_rule(f.rule);
      out += fmt::format("- **{}** `{}` (line {}): {}{}\n", migration::severity_name(f.severity), f.rule, f.line,
                         cell(f.message, 300), rule ? fmt::format(" — {}", rule->alternative) : "");
    }
  }
  out += "\n<details><summary>Details</summary>\n\n";
  out += fmt::format("- Sampling: {} (seed {}), {}, slices of", r.samples.method, r.samples.seed,
                     runs_per_slice(r.samples));
  for (long long n : r.samples.slice_rows) out += fmt::format(" {}", grouped(n));
  out += " rows\n";
  for (const StatementEstimate& e : r.statements) {
    if (r.migration.statements[e.index].is_transaction_control) continue;
    out += fmt::format("- Statement {}: {}\n", e.index + 1, cell(e.forecast.reason, 300));
  }
  for (const LockHoldEstimate& h : r.lock_holds) {
    out += fmt::format("- `{}` on `{}` held {} ({} – {}): blocks {}\n", sim::lock_mode_name(h.mode), h.relation,
                       human_seconds(h.seconds), human_seconds(h.low_seconds), human_seconds(h.high_seconds),
                       sim::lock_mode_blocks(h.mode));
  }
  out += fmt::format("- Server: {}; shared_buffers {}, maintenance_work_mem {}\n",
                     cell(r.table.server.version, 120), r.table.server.shared_buffers,
                     r.table.server.maintenance_work_mem);
  for (const std::string& n : r.migration.notes) out += fmt::format("- {}\n", cell(n, 400));
  for (const std::string& n : r.notes) out += fmt::format("- {}\n", cell(n, 400));
  if (r.simulation) {
    const sim::SimulationResult& s = r.simulation->result;
    out += fmt::format("- Simulated traffic (`{}`): {} of {} queries blocked, p99 added wait {}, up to {} waiting\n",
                       r.simulation->traffic_file, grouped(s.blocked_queries), grouped(s.queries),
                       human_seconds(s.wait.p99_ms / 1e3), s.max_queue_depth);
  }
  for (const std::string& n : r.samples.notes) out += fmt::format("- {}\n", cell(n, 400));
  for (const std::string& n : detail::way_back_sentences(r)) out += fmt::format("- Way back: {}\n", cell(n, 600));
  out += fmt::format("- Gate: warning above {}, critical above {}\n", human_seconds(r.thresholds.warning_seconds),
                     human_seconds(r.thresholds.critical_seconds));
  out += "\n</details>\n";
  return out;
}

std::string longest_hold(const std::map<sim::LockMode, double>& holds) {
  for (auto it = holds.rbegin(); it != holds.rend(); ++it) {
    return fmt::format("; holds `{}` up to {}", sim::lock_mode_name(it->first), human_seconds(it->second));
  }
  return "";
}

}  // namespace

std::string render_markdown(const EstimateReport& r) {
  std::string out = fmt::format("**migsim: {}** — `{}` on `{}.{}` ({} rows) takes about **{}** ({} – {}){}{}\n\n",
                                verdict_badge(r.verdict), r.migration.source_name, r.table.schema, r.table.name,
                                grouped(static_cast<long long>(r.table.rows)), human_seconds(r.total_seconds),
                                human_seconds(r.total_low_seconds), human_seconds(r.total_high_seconds),
                                may_exceed(r.verdict, r.upper_verdict, r.thresholds), longest_hold(r.max_lock_hold_seconds));
  return out + body(r);
}

std::string render_markdown(const EstimateSet& set) {
  std::string out = fmt::format("**migsim: {}** — {} migration{} in `{}`{} take about **{}** ({} – {}){}{}\n",
                                verdict_badge(set.verdict), set.migrations.size(), set.migrations.size() == 1 ? "" : "s",
                                set.source, set.since.empty() ? "" : fmt::format(" changed since `{}`", set.since),
                                human_seconds(set.total_seconds), human_seconds(set.total_low_seconds),
                                human_seconds(set.total_high_seconds),
                                may_exceed(set.verdict, set.upper_verdict, set.thresholds),
                                longest_hold(set.max_lock_hold_seconds));
  for (const MigrationEntry& e : set.migrations) {
    if (!e.report) {
      out += fmt::format("\n### `{}`\n\nNot timed: {}\n", e.file, cell(e.not_timed, 400));
      continue;
    }
    const EstimateReport& r = *e.report;
    out += fmt::format("\n### `{}` — {} on `{}.{}`: about {} ({} – {})\n\n", e.file, verdict_badge(r.verdict),
                       r.table.schema, r.table.name, human_seconds(r.total_seconds), human_seconds(r.total_low_seconds),
                       human_seconds(r.total_high_seconds));
    out += body(r);
  }
  if (!set.notes.empty()) {
    out += "\n";
    for (const std::string& n : set.notes) out += fmt::format("- {}\n", cell(n, 400));
  }
  return out;
}

std::string render_markdown(const Comparison& c) {
  std::string out = fmt::format("**migsim compare** — {} strategies for `{}` ({} rows): **{}** recommended\n\n",
                                c.strategies.size(), c.table, grouped(static_cast<long long>(c.table_rows)),
                                c.recommended);
  out += "| strategy | deploys | total | 90 % interval | lock that blocks the traffic | blocked queries | p99 wait | safe |\n";
  out += "|---|---|---|---|---|---|---|---|\n";
  for (const StrategyResult& s : c.strategies) {
    out += fmt::format("| {}{} | {} | {} | {} – {} | {} | {} | {} | {} |\n", cell(s.name),
                       s.name == c.recommended ? " ⭐" : "", s.deploys, human_seconds(s.total_seconds),
                       human_seconds(s.total_low_seconds), human_seconds(s.total_high_seconds),
                       s.blocking_mode ? fmt::format("`{}` {}", sim::lock_mode_name(*s.blocking_mode),
                                                     human_seconds(s.blocking_hold_seconds))
                                       : std::string("none"),
                       s.simulated ? grouped(s.blocked_queries) : "–",
                       s.simulated ? human_seconds(s.worst_p99_wait_ms / 1e3) : "–", s.safe ? "✅" : "🛑");
  }
  out += fmt::format("\n**Why:** {}\n", cell(c.reason, 2000));
  for (const StrategyResult& s : c.strategies) {
    out += fmt::format("\n<details><summary>{} ({} phase{})</summary>\n\n", cell(s.name), s.phases.size(),
                       s.phases.size() == 1 ? "" : "s");
    out += "| phase | predicted | 90 % interval | longest holds | blocked queries | safe |\n|---|---|---|---|---|---|\n";
    for (const PhaseResult& p : s.phases) {
      if (!p.report) {
        out += fmt::format("| {} | not timed | – | – | – | ✅ |\n", cell(p.name));
        continue;
      }
      const EstimateReport& r = *p.report;
      std::string holds;
      for (auto it = r.max_lock_hold_seconds.rbegin(); it != r.max_lock_hold_seconds.rend(); ++it) {
        holds += fmt::format("{}`{}` {}", holds.empty() ? "" : "<br>", sim::lock_mode_name(it->first),
                             human_seconds(it->second));
      }
      out += fmt::format("| {} | {} | {} – {} | {} | {} | {} |\n", cell(p.name), human_seconds(r.total_seconds),
                         human_seconds(r.total_low_seconds), human_seconds(r.total_high_seconds),
                         holds.empty() ? "–" : holds,
                         r.simulation ? grouped(r.simulation->result.blocked_queries) : "–", p.safe ? "✅" : "🛑");
    }
    for (const PhaseResult& p : s.phases) {
      if (!p.report) continue;
      out += fmt::format("\n#### {}: `{}`\n\n", cell(p.name), p.file) + body(*p.report);
    }
    out += "\n</details>\n";
  }
  for (const std::string& n : c.notes) out += fmt::format("- {}\n", cell(n, 400));
  return out;
}

}  // namespace migsim::reports
