// One self-contained HTML file: no external assets, plots as inline SVG.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "reports/format.h"
#include "reports/render.h"

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

}  // namespace

std::string render_html(const EstimateReport& r) {
  std::string out = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>migsim: ";
  out += esc(r.migration.source_name) + "</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:"
         "900px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;"
         "font-size:14px}code{font-size:13px}.ok{color:#27ae60}.warning{color:#e67e22}.critical{color:#c0392b}"
         "</style></head><body>";
  out += fmt::format("<h1>migsim: <span class=\"{0}\">{0}</span></h1><p><code>{1}</code> on <code>{2}.{3}</code> "
                     "({4} rows): about <b>{5}</b> (90 % interval {6} – {7}).</p>",
                     verdict_name(r.verdict), esc(r.migration.source_name), esc(r.table.schema), esc(r.table.name),
                     grouped(static_cast<long long>(r.table.rows)), esc(human_seconds(r.total_seconds)),
                     esc(human_seconds(r.total_low_seconds)), esc(human_seconds(r.total_high_seconds)));
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
  out += "</table><h2>Locks over time</h2>" + lock_timeline(r);
  out += "<h2>Scaling</h2><p>Slices measured (blue), the fitted model (line), the full-size prediction with its "
         "interval (red), the gate's thresholds (dashed); log-log axes.</p>";
  for (const StatementEstimate& e : r.statements) {
    const std::string plot = scaling_plot(r, e);
    if (plot.empty()) continue;
    out += fmt::format("<h3>Statement {} (line {}): {}</h3><p>{}</p>", e.index + 1,
                       r.migration.statements[e.index].line, esc(r.migration.statements[e.index].kind),
                       esc(e.forecast.reason));
    out += plot;
  }
  if (!r.findings.empty()) {
    out += "<h2>Findings</h2><ul>";
    for (const migration::Finding& f : r.findings) {
      out += fmt::format("<li><b>{}</b> <code>{}</code> (line {}): {}</li>", migration::severity_name(f.severity),
                         esc(f.rule), f.line, esc(f.message));
    }
    out += "</ul>";
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace migsim::reports
