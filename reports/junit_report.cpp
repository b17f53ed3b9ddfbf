#include <fmt/format.h>

#include "reports/format.h"
#include "reports/render.h"
#include "reports/way_back.h"

namespace migsim::reports {

namespace {

struct Suite {
  std::string xml;
  size_t tests = 0;
  int failures = 0;
};

// One <testsuite>: the migration's total and each statement.
Suite suite(const EstimateReport& r, FailOn fail_on) {
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
  if (!r.down.empty()) {
    // The way back: fails when up then down did not restore the schema or the data.
    std::string c = fmt::format("    <testcase classname=\"{}\" name=\"way back ({})\" time=\"{:.3f}\">\n",
                                xml_escape(r.migration.source_name), xml_escape(r.down.front().migration.source_name),
                                r.down.front().total_seconds);
    if (detail::way_back_failed(r)) {
      ++failures;
      std::string detail_text;
      for (const std::string& b : detail::way_back_sentences(r)) detail_text += b + "\n";
      c += fmt::format("      <failure message=\"up then down did not restore the table\" type=\"way-back\">{}</failure>\n",
                       xml_escape(detail_text));
    }
    c += "    </testcase>\n";
    cases.push_back(c);
  }
  Suite s{fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
                      xml_escape(r.migration.source_name), cases.size(), failures, r.total_seconds),
          cases.size(), failures};
  for (const std::string& c : cases) s.xml += c;
  s.xml += "  </testsuite>\n";
  return s;
}

std::string document(const std::vector<Suite>& suites) {
  size_t tests = 0;
  int failures = 0;
  for (const Suite& s : suites) {
    tests += s.tests;
    failures += s.failures;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"migsim\" tests=\"{}\" failures=\"{}\">\n", tests, failures);
  for (const Suite& s : suites) out += s.xml;
  return out + "</testsuites>\n";
}

}  // namespace

std::string render_junit(const EstimateReport& r, FailOn fail_on) { return document({suite(r, fail_on)}); }

std::string render_junit(const EstimateSet& set, FailOn fail_on) {
  std::vector<Suite> suites;
  for (const MigrationEntry& e : set.migrations) {
    if (e.report) {
      suites.push_back(suite(*e.report, fail_on));
    } else {
      suites.push_back({fmt::format("  <testsuite name=\"{0}\" tests=\"1\" failures=\"0\" skipped=\"1\" time=\"0\">\n"
                                    "    <testcase classname=\"{0}\" name=\"migration (total)\" time=\"0\">\n"
                                    "      <skipped message=\"{1}\"/>\n    </testcase>\n  </testsuite>\n",
                                    xml_escape(e.file), xml_escape(e.not_timed)),
                        1, 0});
    }
  }
  return document(suites);
}

std::string render_junit(const Comparison& c, FailOn fail_on) {
  std::vector<Suite> suites;
  for (const StrategyResult& s : c.strategies) {
    Suite suite{"", 0, 0};
    std::string cases;
    for (const PhaseResult& p : s.phases) {
      const double seconds = p.report ? p.report->total_seconds : 0;
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", xml_escape(s.name),
                           xml_escape(fmt::format("phase {}", p.name)), seconds);
      const Verdict v = p.report ? p.report->verdict : Verdict::ok;
      if (!p.safe) {
        ++suite.failures;
        cases += fmt::format("      <failure message=\"{}\" type=\"blocks-traffic\"/>\n",
                             xml_escape(fmt::format("holds {} for {}, beyond the traffic's {} budget",
                                                    p.blocking_mode ? sim::lock_mode_name(*p.blocking_mode) : "a lock",
                                                    human_seconds(p.blocking_hold_seconds),
                                                    human_seconds(c.target_p99_ms / 1e3))));
      } else if (gate_exit_code(v, fail_on) != 0) {
        ++suite.failures;
        cases += fmt::format("      <failure message=\"{}\" type=\"{}\"/>\n",
                             xml_escape(fmt::format("predicted {} is {}", human_seconds(seconds), verdict_name(v))),
                             verdict_name(v));
      } else if (!p.report) {
        cases += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(p.not_timed));
      }
      cases += "    </testcase>\n";
      ++suite.tests;
    }
    suite.xml = fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n"
                            "    <properties><property name=\"recommended\" value=\"{}\"/><property name=\"deploys\" "
                            "value=\"{}\"/></properties>\n",
                            xml_escape(s.name), suite.tests, suite.failures, s.total_seconds,
                            s.name == c.recommended ? "yes" : "no", s.deploys) +
                cases + "  </testsuite>\n";
    suites.push_back(suite);
  }
  return document(suites);
}

}  // namespace migsim::reports
