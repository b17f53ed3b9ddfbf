// `migsim simulate` as a user runs it, on the examples in datasets/simulation/.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "tests/cli_runner.h"
#include "app/estimate_pipeline.h"
#include "reports/render.h"
#include "reports/simulation_io.h"

namespace migsim {
namespace {

const std::string kDir = MIGSIM_DATASETS_DIR "/simulation/";

using testing::CliResult;
CliResult run(const std::vector<std::string>& args) { return testing::run_cli(args); }

TEST(SimulateCommand, AddColumnBehindALongReportAndTheSafePattern) {
  const CliResult r = run({"simulate", "--timeline", kDir + "timeline_add_column.json", "--traffic",
                           kDir + "traffic_web_app.json", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  // The ALTER waits for the 8 s report from t=2 and every query behind it waits too.
  EXPECT_GT(j.at("blocked_queries").get<long long>(), 2000);
  EXPECT_GT(j.at("wait_ms").at("p99").get<double>(), 5000);
  EXPECT_NEAR(j.at("migration_finished_at_s").get<double>(), 8.05, 0.05);
  ASSERT_FALSE(j.at("pool_exhausted_at_s").is_null());
  EXPECT_LT(j.at("pool_exhausted_at_s").get<double>(), 3.0);
  EXPECT_FALSE(j.at("queue_depth_series").empty());
  // With a short lock_timeout and retries the readers barely notice.
  const auto& rec = j.at("recommendation");
  ASSERT_FALSE(rec.at("lock_timeout_s").is_null());
  EXPECT_LE(rec.at("p99_ms").get<double>(), 200.0);
  EXPECT_GT(rec.at("migration_finished_at_s").get<double>(), 8.0);  // after the report ends

  const CliResult text = run({"simulate", "--timeline", kDir + "timeline_add_column.json", "--traffic",
                              kDir + "traffic_web_app.json"});
  EXPECT_NE(text.out.find("recommended   SET lock_timeout"), std::string::npos) << text.out;
}

TEST(SimulateCommand, BadFilesNameTheFileAndTheField) {
  const std::string bad = ::testing::TempDir() + "bad_traffic.json";
  std::ofstream(bad) << "{\"classes\": [{\"lock_mode\": \"AccessShareLock\", \"rate_per_s\": -3}]}";
  CliResult r = run({"simulate", "--timeline", kDir + "timeline_add_column.json", "--traffic", bad});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad_traffic.json: classes[0].rate_per_s: must not be negative"), std::string::npos) << r.err;
  std::ofstream(bad) << "{\"classes\": [\n  {\"lock_mode\": }]}";
  r = run({"simulate", "--timeline", kDir + "timeline_add_column.json", "--traffic", bad});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad_traffic.json:2:17: not valid JSON"), std::string::npos) << r.err;
  EXPECT_EQ(run({"simulate", "--traffic", bad}).code, 2);
}

TEST(SimulateCommand, AnEstimatesJsonIsATimeline) {
  reports::EstimateReport e;
  e.migration = migration::parse_migration(
      "SET lock_timeout = '1s';\nALTER TABLE orders ALTER COLUMN q TYPE bigint;\nCREATE INDEX i ON orders (q);\n", "m.sql");
  e.table.schema = "public";
  e.table.name = "orders";
  e.table.rows = 1e6;
  for (size_t i = 0; i < e.migration.statements.size(); ++i) {
    reports::StatementEstimate s;
    s.index = i;
    s.forecast.predicted_seconds = i == 0 ? 0 : static_cast<double>(i) * 2;  // 0, 2, 4 s
    e.statements.push_back(s);
  }
  e.statements[1].strongest_lock = sim::LockMode::AccessExclusive;
  e.statements[2].strongest_lock = sim::LockMode::Share;
  app::summarize(e);
  const sim::MigrationTimeline t = reports::parse_timeline(reports::render_json(e), "estimate.json", 1.0);
  ASSERT_EQ(t.steps.size(), 2u);  // SET takes no lock
  EXPECT_EQ(t.steps[0].lock_mode, sim::LockMode::AccessExclusive);
  EXPECT_DOUBLE_EQ(t.steps[0].start_s, 1.0);
  EXPECT_DOUBLE_EQ(t.steps[0].hold_s, 2.0);
  EXPECT_EQ(t.steps[1].lock_mode, sim::LockMode::Share);
  EXPECT_DOUBLE_EQ(t.steps[1].start_s, 3.0);
  EXPECT_DOUBLE_EQ(t.steps[1].hold_s, 4.0);
  // The file's own SET lock_timeout; no retry policy: it gives up after the first timeout.
  ASSERT_TRUE(t.lock_timeout_s);
  EXPECT_DOUBLE_EQ(*t.lock_timeout_s, 1.0);
  EXPECT_EQ(t.retries, 0);
  e.migration.retry = migration::RetryPolicy{10, 0.5};
  const sim::MigrationTimeline retried = reports::parse_timeline(reports::render_json(e), "estimate.json", 1.0);
  EXPECT_EQ(retried.retries, 9);
  EXPECT_DOUBLE_EQ(retried.retry_backoff_s, 0.5);
}

}  // namespace
}  // namespace migsim
