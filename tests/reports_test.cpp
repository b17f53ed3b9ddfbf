#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/estimate_pipeline.h"
#include "app/progress.h"
#include "reports/format.h"
#include "reports/gate.h"
#include "reports/render.h"
#include "reports/simulation_io.h"
#include "tests/cli_runner.h"
#include "tests/test_files.h"

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

TEST(Format, RunsPerSliceSayWhereTwoAgreedAndTheRestWereSkipped) {
  sampler::Samples s;
  s.repeats = 3;
  s.agreement = 0.05;
  auto runs = [&](long long rows, int n) {
    for (int i = 0; i < n; ++i) {
      sampler::SliceRun run;
      run.rows = rows;
      s.runs.push_back(run);
    }
  };
  runs(1000, 3);
  runs(3000, 3);
  EXPECT_EQ(runs_per_slice(s), "3 runs per slice");
  runs(9000, 2);
  EXPECT_EQ(runs_per_slice(s), "up to 3 runs per slice (2 at 1 of 3 sizes, where two agreed within 5 %)");
  s.repeats = 1;
  s.runs.clear();
  runs(1000, 1);
  EXPECT_EQ(runs_per_slice(s), "1 run per slice");
}

// A report assembled from hand-made samples, as the pipeline would.
EstimateReport sample_report() {
  EstimateReport r;
  r.migration = migration::parse_migration("ALTER TABLE orders ALTER COLUMN q TYPE bigint;", "m.sql");
  r.table.schema = "public";
  r.table.name = "orders";
  r.table.rows = 1e6;
  r.table.rows_source = "pg_class.reltuples";
  r.table.table_bytes = 180LL << 20;
  r.table.index_bytes = 60LL << 20;
  r.table.total_bytes = r.table.table_bytes + r.table.index_bytes;
  r.table.index_count = 3;
  r.table.avg_row_bytes = 188.7;
  r.table.server = {"PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu", 150018, "256MB", "64MB", "4MB",
                    "2", "1GB"};
  r.samples.method = "SYSTEM";
  r.samples.seed = 42;
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

// The pipeline from samples to forecasts: a table whose first pages came
// from storage costs every pass over it the slower pages.
TEST(Pipeline, ATableReadFromStorageAddsItsSlowerPagesToEachPass) {
  EstimateReport r = sample_report();
  r.migration = migration::parse_migration(
      "ALTER TABLE orders ALTER COLUMN q TYPE bigint;\nCREATE INDEX CONCURRENTLY orders_q_idx ON orders (q);\n"
      "ALTER TABLE orders ADD COLUMN c int;\n",
      "m.sql");
  r.table.heap_pages = 23'000;
  for (sampler::SliceRun& run : r.samples.runs) {
    sampler::StatementRun index = run.statements[0];
    index.rewrote = false;
    sampler::StatementRun catalog = index;
    catalog.seconds = 0.002;
    run.statements.push_back(index);
    run.statements.push_back(catalog);
  }
  r.statements.clear();
  r.notes.clear();
  EstimateReport in_memory = r;
  app::forecast_statements(in_memory);
  ASSERT_EQ(in_memory.statements.size(), 3u);
  EXPECT_TRUE(in_memory.notes.empty()) << in_memory.notes.front();

  // The same samples, with the source's pages read at 5x the copy's 10 us each.
  r.samples.source_read = sampler::ReadProbe{120'000, 4096, 0.2048, 100'000, 2000, {0.025, 0.02, 0.031}};
  app::forecast_statements(r);
  ASSERT_EQ(r.statements.size(), 3u);
  const double extra = (50e-6 - 10e-6) * 23'000;  // 0.92 s a pass
  const auto& rewrite = r.statements[0].forecast;
  const auto& base = in_memory.statements[0].forecast;
  EXPECT_NEAR(rewrite.predicted_seconds, base.predicted_seconds + extra, 1e-9);
  EXPECT_NEAR(rewrite.high_seconds, base.high_seconds + 2 * extra, 1e-9);
  EXPECT_NEAR(rewrite.low_seconds, base.low_seconds, 1e-9);
  // A concurrent build reads the table twice; a catalog change not at all.
  EXPECT_NEAR(r.statements[1].forecast.predicted_seconds,
              in_memory.statements[1].forecast.predicted_seconds + 2 * extra, 1e-9);
  EXPECT_NEAR(r.statements[2].forecast.predicted_seconds, in_memory.statements[2].forecast.predicted_seconds, 1e-12);
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_NE(r.notes[0].find("statement 1 (line 1): a sequential scan read 32.0 MB of public.orders at 50 µs per page, "
                            "5.0x the copies' 10 µs (in memory), so its pages come from storage; the statement's "
                            "pass over its 179.7 MB adds 920.0 ms to the estimate"),
            std::string::npos)
      << r.notes[0];
  EXPECT_NE(r.notes[1].find("the statement's 2 passes over its 179.7 MB add 1.84 s"), std::string::npos) << r.notes[1];
  EXPECT_NEAR(r.total_seconds, in_memory.total_seconds + 3 * extra, 1e-9);
}

// A rewrite that writes more WAL on the full table than max_wal_size lets
// pass between two checkpoints: a note says how many it forces, that their
// writes are not in the estimate, and what max_wal_size avoids them; the
// prediction is that of the slices.
TEST(Pipeline, ARewriteWhoseWalForcesCheckpointsSaysHowMany) {
  EstimateReport r = sample_report();
  r.migration = migration::parse_migration(
      "ALTER TABLE orders ALTER COLUMN q TYPE bigint;\nALTER TABLE orders ADD COLUMN c int;\n", "m.sql");
  r.table.rows = 5e6;
  r.table.server.max_wal_size_bytes = 1024.0 * 1024 * 1024;  // "1GB": a checkpoint each 539 MB at 0.9
  r.table.server.checkpoint_completion_target = 0.9;
  for (sampler::SliceRun& run : r.samples.runs) {
    run.statements[0].wal_bytes = 320 * run.rows;  // 1.6e9 B on 5,000,000 rows
    sampler::StatementRun catalog = run.statements[0];
    catalog.rewrote = false;
    catalog.seconds = 0.002;
    catalog.wal_bytes = 2000;
    run.statements.push_back(catalog);
  }
  r.statements.clear();
  r.notes.clear();
  EstimateReport roomy = r;
  app::forecast_statements(r);
  ASSERT_EQ(r.statements.size(), 2u);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("statement 1 (line 1) writes about 1.5 GB of WAL on the full table (320 B per row on "
                            "the slices): max_wal_size (1GB) requests 2 or 3 checkpoints while it runs"),
            std::string::npos)
      << r.notes[0];
  EXPECT_NE(r.notes[0].find("max_wal_size = '4GB' or more"), std::string::npos) << r.notes[0];

  // With room for its WAL (4 GB / 1.9 = 2.3 GB between checkpoints): no note, the same prediction.
  roomy.table.server.max_wal_size = "4GB";
  roomy.table.server.max_wal_size_bytes = 4.0 * 1024 * 1024 * 1024;
  app::forecast_statements(roomy);
  EXPECT_TRUE(roomy.notes.empty()) << roomy.notes.front();
  EXPECT_EQ(roomy.statements[0].forecast.predicted_seconds, r.statements[0].forecast.predicted_seconds);
  EXPECT_EQ(roomy.statements[0].forecast.high_seconds, r.statements[0].forecast.high_seconds);
}

// The same rewrite where pg_wal holds 24 recycled segments: a note says how
// many it creates (40 of its 90, see Regimes.AWriteCreatesTheWalSegmentsPgWalHasNotRecycled),
// and the prediction is that of the slices. Where the count cannot be read,
// the note gives the range; with wal_init_zero off, none.
TEST(Pipeline, ARewriteWhoseWalOutgrowsPgWalSaysHowManySegmentsItCreates) {
  EstimateReport r = sample_report();
  r.migration = migration::parse_migration("ALTER TABLE orders ALTER COLUMN q TYPE bigint;\n", "m.sql");
  r.table.rows = 5e6;
  r.table.server.max_wal_size_bytes = 1024.0 * 1024 * 1024;
  r.table.server.checkpoint_completion_target = 0.9;
  r.table.server.wal_segment_bytes = 16.0 * 1024 * 1024;
  r.table.server.min_wal_size_bytes = 80.0 * 1024 * 1024;
  r.table.server.wal_segments_ahead = 24;
  for (sampler::SliceRun& run : r.samples.runs) run.statements[0].wal_bytes = 300 * run.rows;  // 1.5e9 B in all
  r.statements.clear();
  r.notes.clear();
  EstimateReport unknown = r;
  unknown.table.server.wal_segments_ahead = -1;
  EstimateReport no_zeros = r;
  no_zeros.table.server.wal_init_zero = false;
  app::forecast_statements(r);
  const auto noted = [](const EstimateReport& e, const std::string& text) {
    return std::any_of(e.notes.begin(), e.notes.end(), [&](const std::string& n) { return n.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(noted(r, "statement 1 (line 1) writes about 1.4 GB of WAL on the full table, 90 segment files of 16.0 "
                       "MB: pg_wal holds 24 recycled ones ahead and the checkpoints during it recycle about 33 more, "
                       "so PostgreSQL creates about 40 new ones while it runs"))
      << ::testing::PrintToString(r.notes);
  app::forecast_statements(unknown);
  EXPECT_TRUE(noted(unknown, "PostgreSQL creates 0 to 60 new ones while it runs")) << ::testing::PrintToString(unknown.notes);
  EXPECT_EQ(unknown.statements[0].forecast.predicted_seconds, r.statements[0].forecast.predicted_seconds);
  app::forecast_statements(no_zeros);
  EXPECT_FALSE(noted(no_zeros, "segment files")) << ::testing::PrintToString(no_zeros.notes);
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
  EXPECT_NE(text.find("lock      AccessExclusiveLock on public.orders held 8.01 s (6.20 s – 9.82 s): blocks reads and writes"),
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


TEST(TextReport, SaysWhenTheUpperBoundMayCrossAThreshold) {
  EstimateReport r = sample_report();
  r.thresholds = {9, 3600};  // 8.01 s predicted; the interval reaches past 9 s
  app::summarize(r);
  ASSERT_EQ(r.verdict, Verdict::ok);
  ASSERT_GT(r.total_high_seconds, 9);
  EXPECT_EQ(r.upper_verdict, Verdict::warning);
  const std::string nine = human_seconds(9);
  EXPECT_NE(render_text(r).find("the interval's upper bound may exceed " + nine), std::string::npos) << render_text(r);
  EXPECT_NE(render_markdown(r).find("; may exceed " + nine), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(render_json(r)).at("total").at("upper_bound_exceeds"), "warning");
}

TEST(TextReport, ColourOnlyWhenAsked) {
  EstimateReport r = sample_report();
  r.findings = migration::lint(r.migration);
  EXPECT_EQ(render_text(r, false).find('\x1b'), std::string::npos);
  const std::string coloured = render_text(r, true);
  EXPECT_NE(coloured.find("\x1b[32mok\x1b[0m"), std::string::npos) << coloured;  // the verdict, green
  EXPECT_NE(coloured.find("\x1b[33mwarning\x1b[0m"), std::string::npos) << coloured;  // a finding's severity
}

// --- The set of migrations, and golden files of every format ---------------

EstimateReport index_report() {
  EstimateReport r = sample_report();
  r.migration = migration::parse_migration("CREATE INDEX orders_status_idx ON orders (status);\n", "V3__index.sql");
  r.findings = migration::lint(r.migration);
  for (auto& run : r.samples.runs) {
    run.statements[0].seconds = 0.002 + 1.2e-6 * static_cast<double>(run.rows);
    run.statements[0].rewrote = false;
    run.statements[0].locks = {{"public.orders", sim::LockMode::Share}};
  }
  std::vector<estimators::Point> pts;
  for (const auto& run : r.samples.runs) pts.push_back({static_cast<double>(run.rows), run.statements[0].seconds});
  r.statements[0].forecast = estimators::forecast(pts, r.table.rows, estimators::Scaling::grows);
  r.statements[0].strongest_lock = sim::LockMode::Share;
  app::summarize(r);
  return r;
}

EstimateSet sample_set() {
  EstimateSet set;
  set.source = "db/migrations";
  set.layout = "flyway";
  set.since = "origin/main";
  set.migrations.push_back({"V1__create_tags.sql", std::nullopt, "it only creates tables"});
  set.migrations.push_back({"V2__bigint.sql", sample_report(), ""});
  set.migrations.push_back({"V3__index.sql", index_report(), ""});
  set.migrations[1].report->migration.source_name = "V2__bigint.sql";
  set.notes.push_back("public.orders: 2 migrations run one after another on its copies");
  app::summarize(set);
  return set;
}

// The single report with findings and a simulation against the example traffic.
EstimateReport golden_report() {
  EstimateReport r = sample_report();
  r.findings = migration::lint(r.migration);
  const std::string traffic_file = std::string(MIGSIM_DATASETS_DIR) + "/simulation/traffic_web_app.json";
  app::add_simulation(r, parse_traffic(testing::read_file(traffic_file), traffic_file), "traffic_web_app.json", 200);
  return r;
}

// Compares `actual` with tests/golden/NAME, or writes it there with
// MIGSIM_UPDATE_GOLDEN=1.
void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(MIGSIM_SOURCE_DIR) + "/tests/golden/" + name;
  if (std::getenv("MIGSIM_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  const std::string expected = testing::read_file(path);
  ASSERT_FALSE(expected.empty()) << path << " is missing; run the tests with MIGSIM_UPDATE_GOLDEN=1 to write it";
  EXPECT_EQ(actual, expected) << "the " << name << " report changed; if that is intended, rerun with "
                              << "MIGSIM_UPDATE_GOLDEN=1 and review the diff of tests/golden/";
}

TEST(Golden, EveryFormatOfOneMigration) {
  const EstimateReport r = golden_report();
  expect_golden("estimate.txt", render_text(r));
  expect_golden("estimate.json", render_json(r));
  expect_golden("estimate.md", render_markdown(r));
  expect_golden("estimate.html", render_html(r));
  expect_golden("estimate.junit.xml", render_junit(r, FailOn::critical));
  EXPECT_EQ(testing::schema_violations("estimate", render_json(r)), "");
}

TEST(Golden, EveryFormatOfASet) {
  const EstimateSet set = sample_set();
  expect_golden("set.txt", render_text(set));
  expect_golden("set.json", render_json(set));
  expect_golden("set.md", render_markdown(set));
  expect_golden("set.html", render_html(set));
  expect_golden("set.junit.xml", render_junit(set, FailOn::warning));
  EXPECT_EQ(testing::schema_violations("estimate_set", render_json(set)), "");
}

TEST(SetReport, EachMigrationOnItsOwnAndTheTotal) {
  const EstimateSet set = sample_set();
  ASSERT_TRUE(set.migrations[1].report && set.migrations[2].report);
  EXPECT_DOUBLE_EQ(set.total_seconds, set.migrations[1].report->total_seconds + set.migrations[2].report->total_seconds);
  EXPECT_DOUBLE_EQ(set.max_lock_hold_seconds.at(sim::LockMode::AccessExclusive),
                   set.migrations[1].report->max_lock_hold_seconds.at(sim::LockMode::AccessExclusive));
  const nlohmann::json j = nlohmann::json::parse(render_json(set));
  ASSERT_EQ(j.at("migrations").size(), 3u);
  EXPECT_EQ(j.at("migrations")[0].at("not_timed"), "it only creates tables");
  EXPECT_EQ(j.at("migrations")[2].at("statements")[0].at("effect"), "index_build");
  EXPECT_EQ(j.at("since"), "origin/main");
  // JUnit: a suite per migration file, the untimed one skipped.
  const std::string xml = render_junit(set, FailOn::critical);
  EXPECT_NE(xml.find("<testsuite name=\"V1__create_tags.sql\" tests=\"1\" failures=\"0\" skipped=\"1\""),
            std::string::npos) << xml;
  EXPECT_NE(xml.find("<testsuite name=\"V3__index.sql\""), std::string::npos) << xml;
}

TEST(SetReport, AMigrationOverTheGateFailsTheSet) {
  EstimateSet set = sample_set();
  set.thresholds = {5, 3600};
  for (auto& e : set.migrations) {
    if (e.report) {
      e.report->thresholds = set.thresholds;
      app::summarize(*e.report);
    }
  }
  app::summarize(set);
  EXPECT_EQ(set.verdict, Verdict::warning);  // 8 s > 5 s in V2 alone
  EXPECT_EQ(gate_exit_code(set.verdict, FailOn::warning), 1);
  EXPECT_EQ(gate_exit_code(set.verdict, FailOn::critical), 0);
  EXPECT_NE(render_junit(set, FailOn::warning).find("<failure message=\"predicted 8.01 s is warning"), std::string::npos);
}

TEST(HtmlReport, QueueDepthPlotWhenASimulationRan) {
  EXPECT_EQ(render_html(sample_report()).find("class=\"queue-depth\""), std::string::npos);
  const std::string html = render_html(golden_report());
  EXPECT_NE(html.find("<h2>Simulated traffic</h2>"), std::string::npos);
  EXPECT_NE(html.find("<svg viewBox=\"0 0 660 250\" width=\"660\" height=\"250\" role=\"img\" class=\"queue-depth\">"),
            std::string::npos);
}

TEST(Progress, PlainLinesOffATerminalAndABarOnOne) {
  std::ostringstream plain;
  const sampler::ProgressFn p = app::progress_printer(plain, false);
  p({"slice 1/3: run 1/3", 0.25, 9});
  p("fitting scaling models");
  EXPECT_EQ(plain.str().find('\r'), std::string::npos);
  EXPECT_NE(plain.str().find("] slice 1/3: run 1/3\n"), std::string::npos) << plain.str();
  EXPECT_NE(plain.str().find("] fitting scaling models\n"), std::string::npos);

  std::ostringstream tty;
  const sampler::ProgressFn bar = app::progress_printer(tty, true);
  bar({"run 1/4", 0.25, 9});
  bar({"run 2/4", 0.5, 6});
  bar("fitting scaling models");
  const std::string out = tty.str();
  EXPECT_NE(out.find("\r\x1b[K"), std::string::npos) << out;
  EXPECT_NE(out.find("[######..................]  25 % run 1/4"), std::string::npos) << out;
  EXPECT_NE(out.find("[############............]  50 % run 2/4\n"), std::string::npos) << "the bar ends before a plain line";
  EXPECT_EQ(out.find("run 1/4\n"), std::string::npos) << "the bar redraws in place";
  std::ostringstream done;
  app::progress_printer(done, true)({"run 4/4", 1.0, 0});
  EXPECT_EQ(done.str().back(), '\n') << "a finished bar ends its line";
}

}  // namespace
}  // namespace migsim::reports

namespace migsim::reports {
namespace {

// A phase that holds `mode` on the table for `hold` seconds and takes `seconds` in all.
PhaseResult phase(const std::string& name, double seconds, sim::LockMode mode, double hold) {
  EstimateReport r = sample_report();
  r.total_seconds = seconds;
  r.total_low_seconds = seconds * 0.8;
  r.total_high_seconds = seconds * 1.2;
  r.max_lock_hold_seconds = {{mode, hold}};
  r.lock_holds = {{"public.orders", mode, hold, hold * 0.8, hold * 1.2}};
  PhaseResult p;
  p.name = name;
  p.file = name + ".sql";
  p.report = r;
  return p;
}

StrategyResult strategy(const std::string& name, std::vector<PhaseResult> phases) {
  StrategyResult s;
  s.name = name;
  s.path = name;
  s.phases = std::move(phases);
  return s;
}

Comparison comparison(std::vector<StrategyResult> strategies) {
  Comparison c;
  c.table = "public.orders";
  c.table_rows = 1e6;
  c.strategies = std::move(strategies);
  return c;
}

TEST(Recommend, TheSafeStrategyWinsAndTheReasonGivesTheFigures) {
  Comparison c = comparison(
      {strategy("direct", {phase("direct", 8, sim::LockMode::AccessExclusive, 8)}),
       strategy("expand-contract", {phase("expand", 0.002, sim::LockMode::AccessExclusive, 0.002),
                                    phase("backfill", 60, sim::LockMode::RowExclusive, 0.1),
                                    phase("contract", 0.003, sim::LockMode::AccessExclusive, 0.003)})});
  recommend(c);
  EXPECT_EQ(c.recommended, "expand-contract");
  EXPECT_FALSE(c.strategies[0].safe);
  EXPECT_TRUE(c.strategies[1].safe);
  EXPECT_EQ(c.strategies[1].deploys, 3);
  EXPECT_NEAR(c.strategies[1].total_seconds, 60.005, 1e-9);
  EXPECT_NEAR(c.strategies[1].total_high_seconds, 72.006, 1e-9);
  EXPECT_DOUBLE_EQ(c.strategies[1].max_lock_hold_seconds.at(sim::LockMode::AccessExclusive), 0.003);
  // RowExclusiveLock does not block writes: the blocking hold is the catalog change's.
  EXPECT_EQ(c.strategies[1].blocking_mode, sim::LockMode::AccessExclusive);
  EXPECT_DOUBLE_EQ(c.strategies[1].blocking_hold_seconds, 0.003);
  EXPECT_FALSE(c.strategies[0].phases[0].safe);
  EXPECT_EQ(c.verdict, Verdict::ok);  // 60 s: under the 5 min warning
  EXPECT_NE(c.reason.find("expand-contract holds AccessExclusiveLock for at most 3.0 ms"), std::string::npos) << c.reason;
  EXPECT_NE(c.reason.find("direct holds AccessExclusiveLock for 8.00 s"), std::string::npos) << c.reason;

  // Every format renders it; the JSON keeps the contract.
  EXPECT_EQ(testing::schema_violations("comparison", render_json(c)), "");
  const nlohmann::json j = nlohmann::json::parse(render_json(c));
  EXPECT_EQ(j.at("recommended"), "expand-contract");
  EXPECT_DOUBLE_EQ(j.at("strategies")[0].at("max_lock_hold_s").at("AccessExclusiveLock").get<double>(), 8);
  EXPECT_EQ(j.at("strategies")[1].at("phases")[1].at("name"), "backfill");
  EXPECT_NE(render_text(c).find("recommended  expand-contract"), std::string::npos);
  EXPECT_NE(render_markdown(c).find("| direct | 1 | 8.00 s |"), std::string::npos) << render_markdown(c);
  EXPECT_NE(render_html(c).find("class=\"compare-plot\""), std::string::npos);
  const std::string junit = render_junit(c, FailOn::never);
  EXPECT_NE(junit.find("<testsuite name=\"direct\" tests=\"1\" failures=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<testsuite name=\"expand-contract\" tests=\"3\" failures=\"0\""), std::string::npos) << junit;
}

TEST(Recommend, AmongSafeStrategiesFewerDeploysThenLessTimeAndWhenNoneIsSafeTheLeastBlocking) {
  Comparison both = comparison(
      {strategy("expand-contract", {phase("expand", 0.002, sim::LockMode::AccessExclusive, 0.002),
                                    phase("contract", 0.002, sim::LockMode::AccessExclusive, 0.002)}),
       strategy("direct", {phase("direct", 0.05, sim::LockMode::AccessExclusive, 0.05)})});
  recommend(both);
  EXPECT_EQ(both.recommended, "direct");
  EXPECT_NE(both.reason.find("expand-contract is safe too but needs 2 deploys"), std::string::npos) << both.reason;

  Comparison none = comparison({strategy("a", {phase("a", 30, sim::LockMode::Share, 30)}),
                                strategy("b", {phase("b", 9, sim::LockMode::AccessExclusive, 9)})});
  recommend(none);
  EXPECT_EQ(none.recommended, "b");
  EXPECT_NE(none.reason.find("no strategy keeps the traffic within"), std::string::npos) << none.reason;

  // Traffic that only reads is not blocked by ShareLock (an index build): then "a" is safe.
  recommend(none, {sim::LockMode::AccessShare});
  EXPECT_EQ(none.recommended, "a");
  EXPECT_FALSE(none.strategies[0].blocking_mode.has_value());
}

}  // namespace
}  // namespace migsim::reports
