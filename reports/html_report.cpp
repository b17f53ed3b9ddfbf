// One self-contained HTML file: no external assets, plots as inline SVG.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "reports/format.h"
#include "reports/render.h"
#include "reports/way_back.h"

namespace migsim::reports {
namespace {

std::string esc(const std::string& s) { return xml_escape(s); }


std::string mode_color(sim::LockMode m) {
  switch (m) {
    case sim::LockMode::AccessExclusive: return "#c0392b";
    case sim::LockMode::Exclusive: return "#d35400";
    case sim::LockMode::ShareRowExclusive: return "#e67e22";
    case sim::LockMode::Share: return "#f39c12";
    case sim::LockMode::ShareUpdateExclusive: return "#2980b9";
    case sim::LockMode::RowExclusive: return "#16a085";
    default: return "#7f8c8d";
  }
}

// Log-log axes mapping for a plot area.
struct LogAxes {
  double x0, x1, y0, y1;  // log10 ranges
  double left = 70, top = 20, width = 560, height = 260;
  double x(double v) const { return left + (std::log10(v) - x0) / (x1 - x0) * width; }
  double y(double v) const { return top + height - (std::log10(v) - y0) / (y1 - y0) * height; }
};

std::string scaling_plot(const EstimateReport& r, const StatementEstimate& e) {
  const auto& f = e.forecast;
  std::vector<std::pair<double, double>> points;
  for (const auto& run : r.samples.runs) {
    const auto& s = run.statements.at(e.index);
    if (s.executed && run.rows > 0) points.emplace_back(static_cast<double>(run.rows), std::max(s.seconds, 1e-6));
  }
  if (points.empty()) return "";
  double xmin = points.front().first, xmax = std::max(f.target_rows, 1.0), ymin = 1e30, ymax = 0;
  for (const auto& [x, y] : points) {
    xmin = std::min(xmin, x);
    ymin = std::min(ymin, y);
    ymax = std::max(ymax, y);
  }
  for (double v : {f.low_seconds, f.high_seconds, f.predicted_seconds, r.thresholds.warning_seconds,
                   r.thresholds.critical_seconds}) {
    if (v > 0) {
      ymin = std::min(ymin, v);
      ymax = std::max(ymax, v);
    }
  }
  LogAxes a{std::floor(std::log10(xmin)), std::ceil(std::log10(xmax) + 1e-9), std::floor(std::log10(ymin)),
            std::ceil(std::log10(ymax) + 1e-9)};
  if (a.x1 <= a.x0) a.x1 = a.x0 + 1;
  if (a.y1 <= a.y0) a.y1 = a.y0 + 1;
  std::string svg = "<svg viewBox=\"0 0 660 320\" width=\"660\" height=\"320\" role=\"img\">";
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#ccc\"/>", a.left,
                     a.top, a.width, a.height);
  for (double d = a.x0; d <= a.x1; d += 1) {
    const double px = a.left + (d - a.x0) / (a.x1 - a.x0) * a.width;
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#eee\"/>"
                       "<text x=\"{0:.1f}\" y=\"{3}\" font-size=\"11\" text-anchor=\"middle\">{4}</text>",
                       px, a.top, a.top + a.height, a.top + a.height + 14, grouped(static_cast<long long>(std::pow(10, d))));
  }
  for (double d = a.y0; d <= a.y1; d += 1) {
    const double py = a.top + a.height - (d - a.y0) / (a.y1 - a.y0) * a.height;
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>"
                       "<text x=\"{3}\" y=\"{4:.1f}\" font-size=\"11\" text-anchor=\"end\">{5}</text>",
                       a.left, py, a.left + a.width, a.left - 4, py + 4, esc(human_seconds(std::pow(10, d))));
  }
  // Gate thresholds.
  for (const auto& [v, label, color] : {std::tuple{r.thresholds.warning_seconds, "warning", "#e67e22"},
                                        std::tuple{r.thresholds.critical_seconds, "critical", "#c0392b"}}) {
    if (v <= 0) continue;
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"{3}\" stroke-dasharray=\"6 4\"/>"
                       "<text x=\"{4}\" y=\"{5:.1f}\" font-size=\"11\" fill=\"{3}\">{6}</text>",
                       a.left, a.y(v), a.left + a.width, color, a.left + 6, a.y(v) - 4, label);
  }
  // The fitted curve, the slices, the extrapolated point with its interval.
  if (f.curve.size() > 1) {
    std::string path;
    for (const auto& [x, y] : f.curve) path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", a.x(x), a.y(y));
    svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"#2c3e50\" stroke-width=\"1.5\"/>", path);
  }
  for (const auto& [x, y] : points) {
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#2980b9\" opacity=\"0.8\"/>", a.x(x), a.y(y));
  }
  if (f.predicted_seconds > 0) {
    const double px = a.x(std::max(f.target_rows, 1.0));
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#c0392b\" stroke-width=\"2\"/>"
                       "<circle cx=\"{0:.1f}\" cy=\"{3:.1f}\" r=\"5\" fill=\"#c0392b\"/>",
                       px, a.y(std::max(f.low_seconds, 1e-6)), a.y(std::max(f.high_seconds, 1e-6)), a.y(f.predicted_seconds));
  }
  svg += fmt::format("<text x=\"{}\" y=\"314\" font-size=\"11\" text-anchor=\"middle\">rows (log)</text></svg>",
                     a.left + a.width / 2);
  return svg;
}

std::string lock_timeline(const EstimateReport& r) {
  struct Bar {
    std::string row;
    double start, end;
    sim::LockMode mode;
  };
  std::vector<Bar> bars;
  std::vector<std::string> rows;
  double t = 0;
  for (const StatementEstimate& e : r.statements) {
    const migration::Statement& st = r.migration.statements[e.index];
    for (const auto& l : st.locks) {
      const std::string row = (l.relation.schema.empty() ? l.relation.name : l.relation.schema + "." + l.relation.name) +
                              " " + std::string(sim::lock_mode_name(l.mode));
      if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
      bars.push_back({row, t, t + std::max(e.lock_hold_seconds, e.forecast.predicted_seconds), l.mode});
    }
    t += e.forecast.predicted_seconds;
  }
  if (bars.empty()) return "";
  const double total = std::max(t, 1e-3);
  const double left = 260, width = 380;
  std::string svg = fmt::format("<svg viewBox=\"0 0 660 {0}\" width=\"660\" height=\"{0}\" role=\"img\">",
                                40 + 26 * rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text>", left - 8, 24 + 26 * i,
                       esc(rows[i]));
  }
  for (const Bar& b : bars) {
    const size_t i = static_cast<size_t>(std::find(rows.begin(), rows.end(), b.row) - rows.begin());
    const double x = left + b.start / total * width;
    const double w = std::max(2.0, (b.end - b.start) / total * width);
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"18\" fill=\"{}\"><title>{} – {}</title></rect>",
                       x, 10 + 26 * i, w, mode_color(b.mode), esc(human_seconds(b.start)), esc(human_seconds(b.end)));
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">0</text><text x=\"{}\" y=\"{}\" font-size=\"11\" "
                     "text-anchor=\"end\">{}</text></svg>",
                     left, 34 + 26 * rows.size(), left + width, 34 + 26 * rows.size(), esc(human_seconds(total)));
  return svg;
}

// The simulated lock queue's depth over time (linear axes), with the
// migration's finish marked.
std::string queue_depth_plot(const SimulationRun& sim_run) {
  const auto& series = sim_run.result.queue_depth_series;
  if (series.empty()) return "";
  const double left = 70, top = 20, width = 560, height = 200;
  const double t_end = std::max(series.back().first, 1e-3);
  const int depth_max = std::max(1, sim_run.result.max_queue_depth);
  auto x = [&](double t) { return left + t / t_end * width; };
  auto y = [&](double d) { return top + height - d / depth_max * height; };
  std::string svg = "<svg viewBox=\"0 0 660 250\" width=\"660\" height=\"250\" role=\"img\" class=\"queue-depth\">";
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fafafa\" stroke=\"#ccc\"/>", left, top,
                     width, height);
  std::string path;
  for (const auto& [t, d] : series) {
    path += fmt::format("{}{:.1f},{:.1f} L{:.1f},{:.1f}", path.empty() ? "M" : " L", x(t), y(d), x(t), y(d));
  }
  svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"#8e44ad\" stroke-width=\"1.5\"/>", path);
  if (sim_run.result.migration_finished_at_s) {
    const double fx = x(*sim_run.result.migration_finished_at_s);
    const bool right_half = fx > left + width / 2;  // label on the side with room
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#c0392b\" "
                       "stroke-dasharray=\"4 3\"/><text x=\"{3:.1f}\" y=\"{4}\" font-size=\"11\" fill=\"#c0392b\" "
                       "text-anchor=\"{5}\">migration done</text>",
                       fx, top, top + height, right_half ? fx - 4 : fx + 4, top + 24, right_half ? "end" : "start");
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>"
                     "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">0</text>"
                     "<text x=\"{}\" y=\"{}\" font-size=\"11\">0 s</text>"
                     "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>"
                     "<text x=\"{}\" y=\"244\" font-size=\"11\" text-anchor=\"middle\">simulated time; queries "
                     "waiting for the table's lock</text></svg>",
                     left - 4, top + 10, depth_max, left - 4, top + height, left, top + height + 14, left + width,
                     top + height + 14, esc(human_seconds(t_end)), left + width / 2);
  return svg;
}

std::string page_head(const std::string& title) {
  return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>migsim: " + esc(title) +
         "</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:"
         "900px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;"
         "font-size:14px}code{font-size:13px}.ok{color:#27ae60}.warning{color:#e67e22}.critical{color:#c0392b}"
         "section{border-top:2px solid #ddd;margin-top:2em}</style></head><body>";
}

std::string may_exceed(Verdict verdict, Verdict upper, const estimators::Thresholds& t) {
  if (upper <= verdict) return "";
  return fmt::format(" The interval's upper bound may exceed {}.",
                     esc(human_seconds(threshold_seconds(upper, t))));
}

// One migration: its statements, lock timeline, simulation, scaling plots and
// findings. `h` is the heading level of its sections.
std::string section(const EstimateReport& r, int h) {
  std::string out;
  out += fmt::format("<p><code>{0}</code> on <code>{1}.{2}</code> ({3} rows): <span class=\"{4}\">{4}</span>, about "
                     "<b>{5}</b> (90 % interval {6} – {7}).{8}</p>",
                     esc(r.migration.source_name), esc(r.table.schema), esc(r.table.name),
                     grouped(static_cast<long long>(r.table.rows)), verdict_name(r.verdict),
                     esc(human_seconds(r.total_seconds)), esc(human_seconds(r.total_low_seconds)),
                     esc(human_seconds(r.total_high_seconds)), may_exceed(r.verdict, r.upper_verdict, r.thresholds));
  out += "<table><tr><th>#</th><th>line</th><th>statement</th><th>effect</th><th>predicted</th><th>interval</th>"
         "<th>lock held</th></tr>";
  for (const StatementEstimate& e : r.statements) {
    const migration::Statement& st = r.migration.statements[e.index];
    if (st.is_transaction_control) continue;
    out += fmt::format("<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{} – {}</td>"
                       "<td>{}</td></tr>",
                       e.index + 1, st.line, esc(st.sql), migration::effect_name(st.effect),
                       esc(human_seconds(e.forecast.predicted_seconds)), esc(human_seconds(e.forecast.low_seconds)),
                       esc(human_seconds(e.forecast.high_seconds)), esc(human_seconds(e.lock_hold_seconds)));
  }
  out += fmt::format("</table><h{0}>Locks over time</h{0}>", h) + lock_timeline(r);
  if (r.simulation) {
    const sim::SimulationResult& res = r.simulation->result;
    out += fmt::format("<h{}>Simulated traffic</h{}><p>Against <code>{}</code>: {} of {} queries blocked, p99 added wait "
                       "{}, up to {} waiting.</p>",
                       h, h, esc(r.simulation->traffic_file), grouped(res.blocked_queries), grouped(res.queries),
                       esc(human_seconds(res.wait.p99_ms / 1e3)), res.max_queue_depth);
    out += queue_depth_plot(*r.simulation);
  }
  out += fmt::format("<h{0}>Scaling</h{0}><p>Slices measured (blue), the fitted model (line), the full-size prediction "
                     "with its interval (red), the gate's thresholds (dashed); log-log axes.</p>",
                     h);
  for (const StatementEstimate& e : r.statements) {
    const std::string plot = scaling_plot(r, e);
    if (plot.empty()) continue;
    out += fmt::format("<h{0}>Statement {1} (line {2}): {3}</h{0}><p>{4}</p>", h + 1, e.index + 1,
                       r.migration.statements[e.index].line, esc(r.migration.statements[e.index].kind),
                       esc(e.forecast.reason));
    out += plot;
  }
  if (const std::vector<std::string> back = detail::way_back_sentences(r); !back.empty()) {
    out += fmt::format("<h{0}>Way back</h{0}><ul>", h);
    for (const std::string& b : back) out += fmt::format("<li>{}</li>", esc(b));
    out += "</ul>";
  }
  if (!r.findings.empty()) {
    out += fmt::format("<h{0}>Findings</h{0}><ul>", h);
    for (const migration::Finding& f : r.findings) {
      out += fmt::format("<li><b>{}</b> <code>{}</code> (line {}): {}</li>", migration::severity_name(f.severity),
                         esc(f.rule), f.line, esc(f.message));
    }
    out += "</ul>";
  }
  return out;
}

}  // namespace

std::string render_html(const EstimateReport& r) {
  return page_head(r.migration.source_name) +
         fmt::format("<h1>migsim: <span class=\"{0}\">{0}</span></h1>", verdict_name(r.verdict)) + section(r, 2) +
         "</body></html>\n";
}

std::string render_html(const EstimateSet& set) {
  std::string out = page_head(set.source);
  out += fmt::format("<h1>migsim: <span class=\"{0}\">{0}</span></h1><p>{1} migration{2} in <code>{3}</code> ({4}){5}: "
                     "about <b>{6}</b> in total (90 % interval {7} – {8}).{9}</p>",
                     verdict_name(set.verdict), set.migrations.size(), set.migrations.size() == 1 ? "" : "s",
                     esc(set.source), esc(set.layout),
                     set.since.empty() ? "" : fmt::format(", changed since <code>{}</code>", esc(set.since)),
                     esc(human_seconds(set.total_seconds)), esc(human_seconds(set.total_low_seconds)),
                     esc(human_seconds(set.total_high_seconds)), may_exceed(set.verdict, set.upper_verdict, set.thresholds));
  out += "<table><tr><th>#</th><th>migration</th><th>verdict</th><th>predicted</th><th>interval</th></tr>";
  for (size_t i = 0; i < set.migrations.size(); ++i) {
    const MigrationEntry& e = set.migrations[i];
    out += e.report ? fmt::format("<tr><td>{}</td><td><code>{}</code></td><td class=\"{}\">{}</td><td>{}</td><td>{} – {}"
                                  "</td></tr>",
                                  i + 1, esc(e.file), verdict_name(e.report->verdict), verdict_name(e.report->verdict),
                                  esc(human_seconds(e.report->total_seconds)),
                                  esc(human_seconds(e.report->total_low_seconds)),
                                  esc(human_seconds(e.report->total_high_seconds)))
                    : fmt::format("<tr><td>{}</td><td><code>{}</code></td><td colspan=\"3\">not timed: {}</td></tr>", i + 1,
                                  esc(e.file), esc(e.not_timed));
  }
  out += "</table>";
  for (const std::string& n : set.notes) out += "<p>" + esc(n) + "</p>";
  for (size_t i = 0; i < set.migrations.size(); ++i) {
    const MigrationEntry& e = set.migrations[i];
    if (!e.report) continue;
    out += fmt::format("<section><h2>{}. {}</h2>", i + 1, esc(e.file)) + section(*e.report, 3) + "</section>";
  }
  return out + "</body></html>\n";
}

namespace {

// Each strategy's total time and its longest blocking hold, as bars on one
// log-scaled axis (1 ms to the longest time), with the latency budget dashed.
std::string compare_plot(const Comparison& c) {
  const double left = 170, width = 560, row = 46, top = 20;
  const double height = top + row * static_cast<double>(c.strategies.size()) + 40;
  double longest = c.target_p99_ms / 1e3;
  for (const StrategyResult& s : c.strategies) longest = std::max({longest, s.total_seconds, s.blocking_hold_seconds});
  const double lo = std::log10(1e-3), hi = std::log10(std::max(longest, 1e-2)) + 0.2;
  auto x = [&](double seconds) { return left + width * (std::log10(std::max(seconds, 1e-3)) - lo) / (hi - lo); };
  std::string svg = fmt::format("<svg class=\"compare-plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" "
                                "height=\"{:.0f}\" role=\"img\" aria-label=\"total time and blocking lock hold per "
                                "strategy\">",
                                height);
  for (size_t i = 0; i < c.strategies.size(); ++i) {
    const StrategyResult& s = c.strategies[i];
    const double y = top + row * static_cast<double>(i);
    svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\" font-size=\"12\" text-anchor=\"end\">{}</text>", left - 8, y + 17,
                       esc(s.name));
    svg += fmt::format("<rect x=\"{0:.1f}\" y=\"{1:.1f}\" width=\"{2:.1f}\" height=\"14\" fill=\"#3498db\"><title>total "
                       "{3}</title></rect><text x=\"{4:.1f}\" y=\"{5:.1f}\" font-size=\"11\">total {3}</text>",
                       left, y, std::max(1.0, x(s.total_seconds) - left), esc(human_seconds(s.total_seconds)),
                       x(s.total_seconds) + 4, y + 11);
    if (s.blocking_mode) {
      svg += fmt::format("<rect x=\"{0:.1f}\" y=\"{1:.1f}\" width=\"{2:.1f}\" height=\"14\" fill=\"{3}\"><title>{4} "
                         "held {5}</title></rect><text x=\"{6:.1f}\" y=\"{7:.1f}\" font-size=\"11\">{4} {5}</text>",
                         left, y + 17, std::max(1.0, x(s.blocking_hold_seconds) - left), s.safe ? "#27ae60" : "#c0392b",
                         sim::lock_mode_name(*s.blocking_mode), esc(human_seconds(s.blocking_hold_seconds)),
                         x(s.blocking_hold_seconds) + 4, y + 28);
    }
  }
  const double axis = top + row * static_cast<double>(c.strategies.size()) + 4;
  svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#e67e22\" "
                     "stroke-dasharray=\"4 3\"/><text x=\"{0:.1f}\" y=\"{3:.1f}\" font-size=\"11\" "
                     "text-anchor=\"middle\">budget {4}</text>",
                     x(c.target_p99_ms / 1e3), top - 4, axis, axis + 14, esc(human_seconds(c.target_p99_ms / 1e3)));
  svg += fmt::format("<line x1=\"{0:.0f}\" y1=\"{1:.1f}\" x2=\"{2:.0f}\" y2=\"{1:.1f}\" stroke=\"#888\"/>"
                     "<text x=\"{0:.0f}\" y=\"{3:.1f}\" font-size=\"11\">1 ms</text><text x=\"{2:.0f}\" y=\"{3:.1f}\" "
                     "font-size=\"11\" text-anchor=\"end\">{4} (log scale)</text></svg>",
                     left, axis, left + width, axis + 28, esc(human_seconds(std::pow(10.0, hi))));
  return svg;
}

}  // namespace

std::string render_html(const Comparison& c) {
  std::string out = page_head("compare " + c.table);
  out += fmt::format("<h1>migsim compare: <code>{}</code></h1><p>{} strategies on {} rows. Recommended: <b>{}</b>.</p>"
                     "<p>{}</p>",
                     esc(c.table), c.strategies.size(), grouped(static_cast<long long>(c.table_rows)), esc(c.recommended),
                     esc(c.reason));
  out += "<table><tr><th>strategy</th><th>deploys</th><th>total</th><th>90 % interval</th><th>lock that blocks the "
         "traffic</th><th>blocked queries</th><th>p99 wait</th><th>safe</th></tr>";
  for (const StrategyResult& s : c.strategies) {
    out += fmt::format("<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{} – {}</td><td>{}</td><td>{}</td><td>{}</td>"
                       "<td class=\"{}\">{}</td></tr>",
                       esc(s.name), s.name == c.recommended ? " (recommended)" : "", s.deploys,
                       esc(human_seconds(s.total_seconds)), esc(human_seconds(s.total_low_seconds)),
                       esc(human_seconds(s.total_high_seconds)),
                       s.blocking_mode ? fmt::format("{} {}", sim::lock_mode_name(*s.blocking_mode),
                                                     esc(human_seconds(s.blocking_hold_seconds)))
                                       : std::string("none"),
                       s.simulated ? grouped(s.blocked_queries) : "–",
                       s.simulated ? esc(human_seconds(s.worst_p99_wait_ms / 1e3)) : "–", s.safe ? "ok" : "critical",
                       s.safe ? "yes" : "no");
  }
  out += "</table>" + compare_plot(c);
  for (const std::string& n : c.notes) out += "<p>" + esc(n) + "</p>";
  for (const StrategyResult& s : c.strategies) {
    out += fmt::format("<section><h2>{}</h2><p><code>{}</code>: {} deploy{}.</p>", esc(s.name), esc(s.path), s.deploys,
                       s.deploys == 1 ? "" : "s");
    for (size_t i = 0; i < s.phases.size(); ++i) {
      const PhaseResult& p = s.phases[i];
      out += fmt::format("<h3>Phase {}: {}</h3>", i + 1, esc(p.name));
      out += p.report ? section(*p.report, 4) : fmt::format("<p>Not timed: {}</p>", esc(p.not_timed));
    }
    out += "</section>";
  }
  return out + "</body></html>\n";
}

}  // namespace migsim::reports
