#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "app/estimate_pipeline.h"
#include "reports/format.h"
#include "reports/gate.h"
#include "reports/render.h"

namespace migsim::reports {
namespace {

TEST(Gate, VerdictsAndExitCodes) {
  const estimators::Thresholds t;  // 5 min, 1 h
  EXPECT_EQ(verdict_for(299, t), Verdict::ok);
  EXPECT_EQ(verdict_for(301, t), Verdict::warning);
  EXPECT_EQ(verdict_for(3601, t), Verdict::critical);
  EXPECT_EQ(gate_exit_code(Verdict::warning, FailOn::critical), 0);
  EXPECT_EQ(gate_exit_code(Verdict::critical, FailOn::critical), 1);
  EXPECT_EQ(gate_exit_code(Verdict::warning, FailOn::warning), 1);
  EXPECT_EQ(gate_exit_code(Verdict::critical, FailOn::never), 0);
}

TEST(Format, DurationsParseWithUnits) {
  EXPECT_EQ(parse_duration("300"), 300.0);
  EXPECT_EQ(parse_duration("5min"), 300.0);
  EXPECT_EQ(parse_duration("1h"), 3600.0);
  EXPECT_EQ(parse_duration("250ms"), 0.25);
  EXPECT_FALSE(parse_duration("soon").has_value());
  EXPECT_FALSE(parse_duration("5 fortnights").has_value());
  EXPECT_FALSE(parse_duration("-1").has_value());
}

TEST(Format, HumanUnits) {
  EXPECT_EQ(human_seconds(0.0005), "500 µs");
  EXPECT_EQ(human_seconds(4.214), "4.21 s");
  EXPECT_EQ(human_seconds(192), "3 min 12 s");
  EXPECT_EQ(human_seconds(7500), "2 h 05 min");
  EXPECT_EQ(human_bytes(3.5 * 1024 * 1024), "3.5 MB");
  EXPECT_EQ(grouped(1000000), "1,000,000");
}

// A report assembled from hand-made samples, as the pipeline would.
EstimateReport sample_report() {
  EstimateReport r;
  r.migration = migration::parse_migration("ALTER TABLE orders ALTER COLUMN q TYPE bigint;", "m.sql");
  r.table.schema = "public";
  r.table.name = "orders";
  r.table.rows = 1e6;
  r.samples.method = "SYSTEM";
  r.samples.repeats = 1;
  for (long long n : {10000LL, 30000LL, 100000LL}) {
    sampler::SliceRun run;
    run.rows = n;
    sampler::StatementRun s;
    s.executed = true;
    s.seconds = 0.01 + 8e-6 * static_cast<double>(n);
    s.locks_observed = true;
    s.locks.push_back({"public.orders", sim::LockMode::AccessExclusive});
    s.rewrote = true;
    run.statements.push_back(s);
    r.samples.runs.push_back(run);
    r.samples.slice_rows.push_back(n);
  }
  StatementEstimate e;
  e.strongest_lock = sim::LockMode::AccessExclusive;
  std::vector<estimators::Point> pts;
  for (const auto& run : r.samples.runs) pts.push_back({static_cast<double>(run.rows), run.statements[0].seconds});
  e.forecast = estimators::forecast(pts, r.table.rows, estimators::Scaling::grows);
  r.statements.push_back(e);
  app::summarize(r);
  return r;
}

TEST(JsonReport, CarriesTheContractFields) {
  const EstimateReport r = sample_report();
  const nlohmann::json j = nlohmann::json::parse(render_json(r));
  EXPECT_EQ(j.at("schema_version"), kSchemaVersion);
  EXPECT_EQ(j.at("table").at("name"), "orders");
  EXPECT_EQ(j.at("table").at("rows"), 1e6);
  ASSERT_EQ(j.at("samples").size(), 3u);
  EXPECT_EQ(j.at("samples")[2].at("n"), 100000);
  EXPECT_EQ(j.at("samples")[2].at("statements")[0].at("rewrite"), true);
  const auto& st = j.at("statements")[0];
  EXPECT_EQ(st.at("line"), 1);
  EXPECT_EQ(st.at("effect"), "rewrite");
  EXPECT_EQ(st.at("lock_modes")[0].at("mode"), "AccessExclusiveLock");
  EXPECT_NEAR(st.at("predicted_seconds").get<double>(), 8.01, 0.01);
  EXPECT_EQ(st.at("interval").size(), 2u);
  EXPECT_NEAR(j.at("total").at("max_lock_hold_seconds").at("AccessExclusiveLock").get<double>(), 8.01, 0.01);
  EXPECT_EQ(j.at("verdict"), "ok");
  EXPECT_EQ(j.at("thresholds").at("critical_seconds"), 3600);
}

TEST(TextReport, ShowsStatementLockAndVerdict) {
  const std::string text = render_text(sample_report());
  EXPECT_NE(text.find("1   1:1     ALTER TABLE orders ALTER COLUMN q TYPE bi..."), std::string::npos) << text;
  EXPECT_NE(text.find("AccessExclusiveLock held up to 8.01 s: blocks reads and writes on public.orders"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("verdict   ok"), std::string::npos) << text;
}

TEST(MarkdownReport, OneLineVerdictTableFindingsAndFoldedDetails) {
  EstimateReport r = sample_report();
  r.findings = migration::lint(r.migration);
  const std::string md = render_markdown(r);
  EXPECT_EQ(md.rfind("**migsim: ✅ ok** — `m.sql` on `public.orders` (1,000,000 rows) takes about **8.01 s**", 0), 0u) << md;
  EXPECT_NE(md.find("| 1 | 1 | `ALTER TABLE orders ALTER COLUMN q TYPE bigint` | `orders` AccessExclusiveLock | rewrite | 8.01 s |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("`column-type-rewrites`"), std::string::npos) << md;
  EXPECT_NE(md.find("<details><summary>Details</summary>"), std::string::npos);
}

TEST(HtmlReport, SelfContainedWithScalingPlotAndLockTimeline) {
  const std::string html = render_html(sample_report());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<h2>Locks over time</h2><svg"), std::string::npos);
  EXPECT_NE(html.find("<path d=\"M"), std::string::npos) << "no fitted curve";
  size_t circles = 0;
  for (size_t p = html.find("<circle"); p != std::string::npos; p = html.find("<circle", p + 1)) ++circles;
  EXPECT_EQ(circles, 4u);  // three slices and the prediction
  EXPECT_NE(html.find(">critical</text>"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "external reference";
  EXPECT_EQ(html.find(" src="), std::string::npos) << "external asset";
}

TEST(JunitReport, FailsTheCasesOverTheGate) {
  EstimateReport r = sample_report();
  EXPECT_NE(render_junit(r, FailOn::critical).find("failures=\"0\""), std::string::npos);
  r.thresholds = {1, 5};  // 8 s is now critical
  app::summarize(r);
  const std::string xml = render_junit(r, FailOn::critical);
  EXPECT_NE(xml.find("<testsuites name=\"migsim\" tests=\"2\" failures=\"2\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"predicted 8.01 s is critical"), std::string::npos) << xml;
  EXPECT_NE(render_junit(r, FailOn::never).find("failures=\"0\""), std::string::npos);
}

}  // namespace
}  // namespace migsim::reports
