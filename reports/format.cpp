#include "reports/format.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace migsim::reports {

std::string human_seconds(double s) {
  if (s < 0) s = 0;
  if (s < 1e-3) return fmt::format("{:.0f} µs", s * 1e6);
  if (s < 1) return fmt::format("{:.1f} ms", s * 1e3);
  if (s < 60) return fmt::format("{:.2f} s", s);
  if (s < 3600) {
    const long long total = std::llround(s);
    return fmt::format("{} min {:02} s", total / 60, total % 60);
  }
  const long long minutes = std::llround(s / 60);
  return fmt::format("{} h {:02} min", minutes / 60, minutes % 60);
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} {}", b, units[u]) : fmt::format("{:.1f} {}", b, units[u]);
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string grouped(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace migsim::reports

namespace migsim::reports {

std::string paint(const std::string& text, Colour colour, bool on) {
  if (!on) return text;
  const char* code = colour == Colour::green ? "32" : colour == Colour::yellow ? "33" : colour == Colour::red ? "31" : "1";
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

std::string runs_per_slice(const sampler::Samples& samples) {
  const std::string all = fmt::format("{} run{} per slice", samples.repeats, samples.repeats == 1 ? "" : "s");
  std::map<long long, int> runs;  // rows -> runs at that size
  for (const sampler::SliceRun& run : samples.runs) ++runs[run.rows];
  int fewer = 0;
  int fewest = samples.repeats;
  for (const auto& [rows, n] : runs) {
    if (n < samples.repeats) {
      ++fewer;
      fewest = std::min(fewest, n);
    }
  }
  if (fewer == 0) return all;
  return fmt::format("up to {} ({} at {} of {} sizes, where two agreed within {:.0f} %)", all, fewest, fewer,
                     runs.size(), 100 * samples.agreement);
}

}  // namespace migsim::reports
