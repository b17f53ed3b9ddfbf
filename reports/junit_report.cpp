#include <fmt/format.h>

#include "reports/format.h"
#include "reports/render.h"

namespace migsim::reports {

std::string render_junit(const EstimateReport& r, FailOn fail_on) {
  std::vector<std::string> cases;
  int failures = 0;
  auto add_case = [&](const std::string& name, double seconds, Verdict verdict, const std::string& detail) {
    std::string c = fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n",
                                xml_escape(r.migration.source_name), xml_escape(name), seconds);
    if (gate_exit_code(verdict, fail_on) != 0) {
      ++failures;
      c += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                       xml_escape(fmt::format("predicted {} is {} (warning above {}, critical above {})",
                                              human_seconds(seconds), verdict_name(verdict),
                                              human_seconds(r.thresholds.warning_seconds),
                                              human_seconds(r.thresholds.critical_seconds))),
                       verdict_name(verdict), xml_escape(detail));
    }
    c += "    </testcase>\n";
    cases.push_back(c);
  };
  add_case("migration (total)", r.total_seconds, r.verdict,
           fmt::format("interval {} – {}", human_seconds(r.total_low_seconds), human_seconds(r.total_high_seconds)));
  for (const StatementEstimate& e : r.statements) {
    const migration::Statement& st = r.migration.statements[e.index];
    if (st.is_transaction_control) continue;
    add_case(fmt::format("line {}: {}", st.line, st.kind), e.forecast.predicted_seconds,
             verdict_for(e.forecast.predicted_seconds, r.thresholds), st.sql);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"migsim\" tests=\"{}\" failures=\"{}\">\n", cases.size(), failures);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
                     xml_escape(r.migration.source_name), cases.size(), failures, r.total_seconds);
  for (const std::string& c : cases) out += c;
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace migsim::reports
