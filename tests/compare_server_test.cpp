// `migsim compare` against a real server: the direct and expand-contract
// forms of widening orders.customer_id (datasets/strategies/), every report
// format through its validator, and the batched backfill's SQL run for real.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "migration/migration.h"
#include "sampler/local_server.h"
#include "tests/cli_runner.h"
#include "tests/test_files.h"

namespace migsim {

extern sampler::LocalServer* g_server;          // integration_test.cpp
std::string query_one(const std::string& sql);  // integration_test.cpp

namespace {

namespace fs = std::filesystem;
using testing::CliResult;

const std::string kStrategies = std::string(MIGSIM_SOURCE_DIR) + "/datasets/strategies/";
const std::string kTraffic = std::string(MIGSIM_SOURCE_DIR) + "/datasets/simulation/traffic_web_app.json";

std::string orders_checksum() { return query_one("SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM orders o"); }

int run_shell(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double hold(const nlohmann::json& holds, const std::string& mode) {
  return holds.contains(mode) ? holds.at(mode).get<double>() : 0.0;
}

TEST(Compare, DirectWideningBlocksTheTrafficExpandContractDoesNot) {
  const std::string before = orders_checksum();
  const fs::path dir = fs::path(::testing::TempDir()) / "migsim_compare";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string f = dir.string() + "/";
  const CliResult r = testing::run_cli(
      {"compare", "--dsn", g_server->dsn(), "--strategy", "direct=" + kStrategies + "widen-customer-id/direct.sql",
       "--strategy", "expand-contract=" + kStrategies + "widen-customer-id/expand-contract", "--strategy",
       "online=online-copy", "--traffic", kTraffic,
       "--quiet", "--repeats", "2", "--max-slice-rows", "20000", "--format",
       "text,json:" + f + "c.json,markdown:" + f + "c.md,junit:" + f + "c.xml,html:" + f + "c.html"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_EQ(orders_checksum(), before);

  const std::string json = testing::read_file(f + "c.json");
  EXPECT_EQ(testing::schema_violations("comparison", json), "");
  const nlohmann::json j = nlohmann::json::parse(json);
  ASSERT_EQ(j.at("strategies").size(), 3u);
  const nlohmann::json& direct = j.at("strategies")[0];
  const nlohmann::json& ec = j.at("strategies")[1];
  EXPECT_EQ(direct.at("deploys"), 1);
  EXPECT_EQ(ec.at("deploys"), 2);  // backfill and index ship with the expand deploy
  std::vector<std::string> phases;
  for (const auto& p : ec.at("phases")) phases.push_back(p.at("name"));
  EXPECT_EQ(phases, (std::vector<std::string>{"expand", "backfill", "index", "contract"}));

  // The direct form rewrites the table under AccessExclusiveLock; expand-contract
  // takes it only for catalog changes.
  const double direct_ax = hold(direct.at("max_lock_hold_s"), "AccessExclusiveLock");
  const double ec_ax = hold(ec.at("max_lock_hold_s"), "AccessExclusiveLock");
  EXPECT_GT(direct_ax, 0.2);
  EXPECT_LT(ec_ax, 0.05);
  EXPECT_GT(direct_ax, 10 * ec_ax);
  EXPECT_NEAR(direct.at("total_seconds").get<double>(), direct_ax, direct_ax * 0.05);
  EXPECT_EQ(direct.at("blocking_lock").at("mode"), "AccessExclusiveLock");
  EXPECT_FALSE(direct.at("safe").get<bool>());
  EXPECT_TRUE(ec.at("safe").get<bool>());
  EXPECT_NE(j.at("recommended"), "direct");
  EXPECT_NE(j.at("reason").get<std::string>().find("direct holds AccessExclusiveLock"), std::string::npos) << j.at("reason");

  // The online copy: copied while the table is only read, the writes made meanwhile replayed, a short swap.
  const nlohmann::json& online = j.at("strategies")[2];
  EXPECT_EQ(online.at("path"), "online-copy");
  std::vector<std::string> online_phases;
  for (const auto& p : online.at("phases")) online_phases.push_back(p.at("name"));
  EXPECT_EQ(online_phases, (std::vector<std::string>{"copy", "replay", "swap"}));
  EXPECT_EQ(online.at("deploys"), 1);
  const nlohmann::json& copy = online.at("phases")[0];
  EXPECT_GT(hold(copy.at("max_lock_hold_s"), "AccessShareLock"), 0.05);
  EXPECT_EQ(hold(copy.at("max_lock_hold_s"), "AccessExclusiveLock"), 0);
  EXPECT_GT(online.at("phases")[1].at("predicted_seconds").get<double>(), 0);  // the traffic writes 60/s
  EXPECT_LT(hold(online.at("phases")[2].at("max_lock_hold_s"), "AccessExclusiveLock"), 0.05);
  EXPECT_TRUE(online.at("safe").get<bool>());
  // Every phase was simulated against the traffic; the direct form blocked queries.
  for (const auto& s : j.at("strategies")) {
    for (const auto& p : s.at("phases")) EXPECT_TRUE(p.at("simulation").is_object()) << p.at("name");
  }
  EXPECT_GT(direct.at("simulation").at("blocked_queries").get<long long>(), 0);

  // The backfill phase runs in batches: as many as its rows need, each holding
  // RowExclusiveLock for one batch's time, and a batch size for the 200 ms target.
  const nlohmann::json& backfill = ec.at("phases")[1];
  const nlohmann::json& st = backfill.at("estimate").at("statements")[0];
  ASSERT_TRUE(st.contains("batches")) << st.dump(2);
  const nlohmann::json& b = st.at("batches");
  const double rows = j.at("table").at("rows").get<double>();
  EXPECT_NEAR(b.at("count").get<double>(), std::ceil(rows / 5000), rows / 5000 * 0.05 + 1);
  EXPECT_EQ(b.at("batch_rows"), 5000);
  EXPECT_GT(b.at("recommended_batch_rows").get<long long>(), 0);
  EXPECT_NEAR(backfill.at("predicted_seconds").get<double>(),
              b.at("count").get<double>() * (b.at("batch_seconds").get<double>() + 0.05), 1e-6);
  EXPECT_NEAR(hold(backfill.at("max_lock_hold_s"), "RowExclusiveLock"), b.at("batch_seconds").get<double>(), 1e-9);
  EXPECT_NE(b.at("sql").get<std::string>().find("FOR UPDATE SKIP LOCKED"), std::string::npos);

  EXPECT_NE(r.out.find("recommended  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("batches: "), std::string::npos) << r.out;
  EXPECT_NE(testing::read_file(f + "c.md").find("| expand-contract"), std::string::npos);
  EXPECT_EQ(run_shell("xmllint --noout --schema " + std::string(MIGSIM_SOURCE_DIR) + "/tests/tools/junit.xsd " + f + "c.xml"), 0);
  EXPECT_NE(testing::read_file(f + "c.xml").find("type=\"blocks-traffic\""), std::string::npos);
  EXPECT_EQ(run_shell("/usr/bin/python3 " + std::string(MIGSIM_SOURCE_DIR) +
                      "/tests/tools/check_html.py --min-svg 6 --expect-class compare-plot --expect-class queue-depth " + f +
                      "c.html"),
            0);
}

TEST(Compare, BadStrategiesAreUsageOrInputErrors) {
  const std::string direct = "direct=" + kStrategies + "widen-customer-id/direct.sql";
  EXPECT_EQ(testing::run_cli({"compare", "--dsn", g_server->dsn(), "--strategy", direct}).code, 2);
  const CliResult missing = testing::run_cli({"compare", "--dsn", g_server->dsn(), "--strategy", direct, "--strategy", "x=/nonexistent.sql"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("/nonexistent.sql"), std::string::npos) << missing.err;
  EXPECT_EQ(testing::run_cli({"compare", "--dsn", g_server->dsn(), "--strategy", direct, "--strategy", "noequals"}).code, 2);
  EXPECT_EQ(testing::run_cli({"compare", "--dsn", g_server->dsn(), "--strategy", direct, "--strategy", direct}).code, 2);
  const CliResult no_table =
      testing::run_cli({"compare", "--dsn", g_server->dsn(), "--strategy", "a=online-copy", "--strategy", "b=online-copy"});
  EXPECT_EQ(no_table.code, 2);
  EXPECT_NE(no_table.err.find("needs the table: give --table"), std::string::npos) << no_table.err;
  // A malformed backfill directive names its file, line and column.
  const fs::path dir = fs::path(::testing::TempDir()) / "migsim_bad_plan";
  fs::remove_all(dir);
  fs::create_directories(dir);
  testing::write_file((dir / "1-backfill.sql").string(), "-- migsim:backfill batch_size=lots\nUPDATE orders SET note = note;\n");
  const CliResult bad = testing::run_cli({"compare", "--dsn", g_server->dsn(), "--strategy", direct, "--strategy", "plan=" + dir.string()});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("1-backfill.sql:1:1: migsim:backfill: batch_size must be a whole number"), std::string::npos) << bad.err;
}

// The batch SQL migsim prints is what a backfill job runs: keyset pagination
// that resumes after the last key, to the end of the table, every row once.
TEST(Compare, TheBatchSqlFillsEveryRowOnceResumingAfterTheLastKey) {
  pqxx::connection c{g_server->dsn()};
  {
    pqxx::work tx{c};
    tx.exec0("DROP TABLE IF EXISTS backfill_target");
    tx.exec0("CREATE TABLE backfill_target (id bigint PRIMARY KEY, a int NOT NULL, b bigint)");
    tx.exec0("INSERT INTO backfill_target SELECT g * 3, g, CASE WHEN g % 10 = 0 THEN -1 END FROM generate_series(1, 10000) g");
    tx.commit();
  }
  const migration::Migration m = migration::parse_migration(
      "-- migsim:backfill batch_size=700 pause=0\nUPDATE backfill_target SET b = a WHERE b IS NULL;\n", "backfill.sql");
  const std::string first = migration::batch_update_sql(m, m.statements[0], "id", "700", true);
  const std::string next = migration::batch_update_sql(m, m.statements[0], "id", "700");
  std::string last = "3";  // the smallest key
  int batches = 0;
  long long written = 0;
  for (;;) {
    pqxx::work tx{c};
    const pqxx::result keys = tx.exec_params(batches == 0 ? first : next, last);
    tx.commit();
    if (keys.empty()) break;
    ++batches;
    written += static_cast<long long>(keys.size());
    long long largest = 0;
    for (const auto& row : keys) largest = std::max(largest, row[0].as<long long>());
    last = std::to_string(largest);
  }
  EXPECT_EQ(written, 9000);  // the rows with b = -1 were not to be written
  EXPECT_EQ(batches, 13);    // ceil(9000 / 700)
  EXPECT_EQ(query_one("SELECT count(*) FROM backfill_target WHERE b IS DISTINCT FROM a AND b <> -1"), "0");
  EXPECT_EQ(query_one("SELECT count(*) FROM backfill_target WHERE b = -1"), "1000");
  pqxx::work tx{c};
  tx.exec0("DROP TABLE backfill_target");
  tx.commit();
}

}  // namespace
}  // namespace migsim
