// `migsim plan` against a real server: each generated plan, run phase by
// phase (retry.sh for the SQL files, the batch SQL in a loop for the
// backfill, as a job would), ends with the same schema and data as the
// direct migration run on an identical table.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <chrono>
#include <string>
#include <thread>
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

std::string in_schema(const std::string& schema) {
  return fmt::format("{} options=-csearch_path={}", g_server->dsn(), schema);
}

void exec(const std::string& schema, const std::string& sql) {
  pqxx::connection c{in_schema(schema)};
  pqxx::nontransaction tx{c};
  tx.exec(sql);
}

std::string one(const std::string& schema, const std::string& sql) {
  pqxx::connection c{in_schema(schema)};
  pqxx::nontransaction tx{c};
  const pqxx::row r = tx.exec1(sql);
  return r[0].is_null() ? "" : r[0].as<std::string>();
}

// Two schemas with the same table: `items` (2,000 rows, three secondary
// indexes, one on a column named by a reserved word)
// and the `customers` it may reference.
void make_table(const std::string& schema) {
  exec("public", fmt::format("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema));
  exec(schema,
       "CREATE TABLE customers (id int PRIMARY KEY);"
       "INSERT INTO customers SELECT g FROM generate_series(1, 50) g;"
       "CREATE TABLE items (id bigint PRIMARY KEY, customer_id int NOT NULL DEFAULT 7, note text, qty int NOT NULL,"
       "                    created_at timestamptz NOT NULL, \"order\" int);"
       "INSERT INTO items SELECT g, 1 + g % 50, CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || g END, 1 + g % 9,"
       "       timestamptz '2024-01-01' + g * interval '1 minute', g % 7 FROM generate_series(1, 2000) g;"
       "CREATE INDEX items_customer_created_idx ON items (customer_id, created_at);"
       "CREATE INDEX items_note_idx ON items (note) WHERE note IS NOT NULL;"
       "CREATE INDEX items_order_idx ON items (\"order\")");
  exec(schema, "VACUUM ANALYZE items");
}

// Columns (by name), constraints, indexes and triggers of the schema's
// tables, and the rows of items (every column but `volatile_column`, whose
// non-null values are counted).
std::string snapshot(const std::string& schema, const std::string& volatile_column) {
  std::vector<std::string> parts;
  parts.push_back(one(schema,
                      "SELECT string_agg(format('%s %s %s %s', attname, format_type(atttypid, atttypmod), attnotnull, "
                      "pg_get_expr(d.adbin, d.adrelid)), E'\\n' ORDER BY attname) FROM pg_attribute a LEFT JOIN "
                      "pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = 'items'::regclass "
                      "AND a.attnum > 0 AND NOT a.attisdropped"));
  parts.push_back(one(schema, "SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), E'\\n' ORDER BY conname) "
                              "FROM pg_constraint WHERE conrelid = 'items'::regclass"));
  parts.push_back(one(schema, "SELECT string_agg(replace(indexdef, schemaname || '.', ''), E'\\n' ORDER BY indexname) FROM "
                              "pg_indexes WHERE tablename = 'items' AND schemaname = current_schema()"));
  parts.push_back(fmt::format("valid indexes {}", one(schema, "SELECT bool_and(indisvalid)::text FROM pg_index WHERE "
                                                              "indrelid = 'items'::regclass")));
  parts.push_back(fmt::format("triggers {}", one(schema, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'items'::regclass")));
  parts.push_back(fmt::format("functions {}", one(schema, "SELECT count(*) FROM pg_proc WHERE pronamespace = "
                                                          "current_schema()::regnamespace")));
  const std::string columns = one(schema, fmt::format("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attname) FROM "
                                                      "pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0 AND "
                                                      "NOT attisdropped AND attname <> '{}'",
                                                      volatile_column));
  parts.push_back(fmt::format("rows {}", one(schema, fmt::format("SELECT md5(string_agg(row({})::text, '|' ORDER BY id)) "
                                                                 "FROM items",
                                                                 columns))));
  if (!volatile_column.empty()) {
    parts.push_back(fmt::format("{} filled {}", volatile_column,
                                one(schema, fmt::format("SELECT count({}) FROM items", volatile_column))));
  }
  std::string s;
  for (const std::string& p : parts) s += fmt::format("{}\n", p);
  return s;
}

void run_plan(const fs::path& dir, const std::string& schema) {
  std::vector<fs::path> phases;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".sql") phases.push_back(entry.path());
  }
  std::sort(phases.begin(), phases.end());
  ASSERT_FALSE(phases.empty());
  for (const fs::path& phase : phases) {
    if (phase.filename().string().find("backfill") != std::string::npos) {
      // As a job runs it: the batch SQL, from the smallest key, until no row comes back.
      const migration::Migration m = migration::parse_migration(testing::read_file(phase.string()), phase.string());
      for (const migration::Statement& st : m.statements) {
        ASSERT_TRUE(st.batching) << st.sql;
        const std::string first = migration::batch_update_sql(m, st, "id", std::to_string(st.batching->batch_rows), true);
        const std::string next = migration::batch_update_sql(m, st, "id", std::to_string(st.batching->batch_rows));
        pqxx::connection c{in_schema(schema)};
        std::string last = "1";
        for (int k = 0;; ++k) {
          pqxx::work tx{c};
          const pqxx::result keys = tx.exec_params(k == 0 ? first : next, last);
          tx.commit();
          if (keys.empty()) break;
          long long largest = 0;
          for (const auto& row : keys) largest = std::max(largest, row[0].as<long long>());
          last = std::to_string(largest);
        }
      }
      continue;
    }
    const std::string command = fmt::format("PATH={}:$PATH sh {} {} '{}' 2>&1", MIGSIM_PG_BIN, (dir / "retry.sh").string(),
                                            phase.string(), in_schema(schema));
    const int status = std::system((command + " > " + (dir / "psql.log").string()).c_str());
    ASSERT_EQ(status, 0) << phase << ":\n" << testing::read_file((dir / "psql.log").string());
  }
}

struct Case {
  std::string name;
  std::string migration;
  std::string volatile_column;
  int phases;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class PlanEquals : public ::testing::TestWithParam<Case> {};

TEST_P(PlanEquals, TheDirectMigration) {
  const Case& c = GetParam();
  const std::string direct = "plan_direct_" + c.name, safe = "plan_safe_" + c.name;
  make_table(direct);
  make_table(safe);
  exec(direct, c.migration);

  const fs::path dir = fs::path(::testing::TempDir()) / ("migsim_plan_" + c.name);
  fs::remove_all(dir);
  const std::string file = (fs::path(::testing::TempDir()) / ("migsim_plan_" + c.name + ".sql")).string();
  testing::write_file(file, c.migration);
  const CliResult r = testing::run_cli({"plan", "--migration", file, "--dsn", in_schema(safe), "--out", dir.string(),
                                        "--batch-size", "300", "--lock-timeout", "1s"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("as is"), std::string::npos) << r.out;  // every statement was planned
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.path().extension() == ".sql";
  EXPECT_EQ(files, c.phases) << r.out;
  run_plan(dir, safe);
  EXPECT_EQ(snapshot(safe, c.volatile_column), snapshot(direct, c.volatile_column)) << r.out;
  exec("public", fmt::format("DROP SCHEMA {} CASCADE; DROP SCHEMA {} CASCADE", direct, safe));
}

INSTANTIATE_TEST_SUITE_P(
    Plans, PlanEquals,
    ::testing::Values(
        Case{"type", "ALTER TABLE items ALTER COLUMN customer_id TYPE bigint;", "", 5},
        Case{"type_using", "ALTER TABLE items ALTER COLUMN qty TYPE numeric(10, 2) USING qty * 1.5;", "", 5},
        Case{"rename", "ALTER TABLE items RENAME COLUMN note TO comment;", "", 4},
        Case{"index", "CREATE INDEX items_qty_idx ON items (qty);", "", 1},
        Case{"check", "ALTER TABLE items ADD CHECK (qty > 0);", "", 2},
        Case{"foreign_key", "ALTER TABLE items ADD FOREIGN KEY (customer_id) REFERENCES customers (id);", "", 2},
        Case{"volatile_default", "ALTER TABLE items ADD COLUMN shard double precision NOT NULL DEFAULT random();",
             "shard", 5},
        Case{"together",
             "SET lock_timeout = '1s';\n"
             "ALTER TABLE items ALTER COLUMN customer_id TYPE bigint;\n"
             "ALTER TABLE items RENAME COLUMN note TO comment;\n"
             "CREATE INDEX items_qty_idx ON items (qty);\n",
             "", 5},
        // Reserved words as column names: quoted in every generated statement,
        // and the index on "order" is rebuilt on the new column.
        Case{"reserved_words",
             "ALTER TABLE items RENAME COLUMN note TO \"user\";\n"
             "ALTER TABLE items ALTER COLUMN \"order\" TYPE bigint;\n",
             "", 4}),
    [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

// The plan's phase files are ready for `migsim compare`: it runs them on the
// copies (trigger, batched backfill, CONCURRENTLY builds, the swap) and shows
// the plan never holds AccessExclusiveLock longer than a catalog change.
TEST(PlanCompare, TheGeneratedPlanRunsInCompareNextToTheDirectMigration) {
  const std::string before = query_one("SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM orders o");
  const std::string direct = std::string(MIGSIM_SOURCE_DIR) + "/datasets/strategies/widen-customer-id/direct.sql";
  const fs::path dir = fs::path(::testing::TempDir()) / "migsim_plan_compare";
  fs::remove_all(dir);
  const CliResult plan = testing::run_cli({"plan", "--migration", direct, "--dsn", g_server->dsn(), "--out", dir.string()});
  ASSERT_EQ(plan.code, 0) << plan.err;
  const CliResult r = testing::run_cli({"compare", "--dsn", g_server->dsn(), "--strategy", fmt::format("direct={}", direct), "--strategy",
                                        fmt::format("plan={}", dir.string()), "--format", "json", "--quiet", "--repeats", "1",
                                        "--max-slice-rows", "5000"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const nlohmann::json& safe = j.at("strategies")[1];
  EXPECT_EQ(j.at("recommended"), "plan") << j.at("reason");
  EXPECT_EQ(safe.at("deploys"), 2);
  EXPECT_LT(safe.at("max_lock_hold_s").at("AccessExclusiveLock").get<double>(), 0.05);
  EXPECT_GT(j.at("strategies")[0].at("max_lock_hold_s").at("AccessExclusiveLock").get<double>(), 0.2);
  std::vector<std::string> phases;
  for (const auto& p : safe.at("phases")) phases.push_back(p.at("name"));
  EXPECT_EQ(phases, (std::vector<std::string>{"expand", "backfill", "constrain", "validate", "contract"}));
  // The contract's SET NOT NULL is proven by the validated CHECK: catalog-only, not a fit of noise.
  std::string notes;
  for (const auto& n : j.at("notes")) notes += n.get<std::string>() + "\n";
  EXPECT_NE(notes.find("SET NOT NULL did not scan the copy"), std::string::npos) << notes;
  EXPECT_EQ(query_one("SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM orders o"), before);
}

// retry.sh gives the lock up after lock_timeout instead of queueing the
// traffic behind it, and tries again until the conflicting transaction ends.
TEST(PlanRetry, APhaseWhoseLockIsHeldIsRetriedUntilItIsFree) {
  const std::string schema = "plan_retry";
  make_table(schema);
  const fs::path dir = fs::path(::testing::TempDir()) / "migsim_plan_retry";
  fs::remove_all(dir);
  const std::string file = (fs::path(::testing::TempDir()) / "migsim_plan_retry.sql").string();
  testing::write_file(file, "ALTER TABLE items ADD CHECK (qty > 0);\n");
  ASSERT_EQ(testing::run_cli({"plan", "--migration", file, "--out", dir.string(), "--lock-timeout", "200ms"}).code, 0);
  pqxx::connection holder{in_schema(schema)};
  pqxx::work tx{holder};
  tx.exec0("LOCK TABLE items IN ACCESS SHARE MODE");  // a long read: ADD CONSTRAINT's AccessExclusiveLock waits for it
  std::thread release([&tx] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    tx.commit();
  });
  const std::string log = (dir / "retry.log").string();
  const std::string command = fmt::format("PATH={}:$PATH sh {} {} '{}' > {} 2>&1", MIGSIM_PG_BIN, (dir / "retry.sh").string(),
                                          (dir / "1-constrain.sql").string(), in_schema(schema), log);
  const int status = std::system(command.c_str());
  release.join();
  EXPECT_EQ(status, 0) << testing::read_file(log);
  EXPECT_NE(testing::read_file(log).find("lock not granted (attempt 1 of 10); retrying in 1s"), std::string::npos)
      << testing::read_file(log);
  EXPECT_EQ(one(schema, "SELECT count(*) FROM pg_constraint WHERE conname = 'items_qty_check' AND NOT convalidated"), "1");
  exec("public", "DROP SCHEMA plan_retry CASCADE");
}

}  // namespace
}  // namespace migsim

namespace migsim {
namespace {

// estimate --down: up then down on the copies, the way back's own estimate,
// and the check that the schema is back and the data intact.
TEST(WayBack, FoundBesideTheFileRestoredAndIntact) {
  const std::string before = query_one("SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM orders o");
  const std::string dir = std::string(MIGSIM_SOURCE_DIR) + "/datasets/migrations/";
  for (const std::string& up : {dir + "golang-migrate/2_add_gift_note.up.sql", dir + "dbmate/20240102090000_add_gift_note.sql",
                                dir + "sqitch/deploy/add_gift_note.sql"}) {
    const CliResult r = testing::run_cli({"estimate", "--dsn", g_server->dsn(), "--migration", up, "--format", "json",
                                          "--quiet", "--repeats", "1", "--max-slice-rows", "5000"});
    ASSERT_EQ(r.code, 0) << up << ": " << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    ASSERT_TRUE(j.contains("down")) << up;
    // The up migration is the up part only (a dbmate file's down section is not run as up).
    auto kinds = [](const nlohmann::json& statements) {
      std::string k;
      for (const auto& st : statements) k += (k.empty() ? "" : "; ") + st.at("kind").get<std::string>();
      return k;
    };
    EXPECT_NE(kinds(j.at("statements")).find("ALTER TABLE ADD COLUMN"), std::string::npos) << up;
    EXPECT_EQ(kinds(j.at("statements")).find("DROP COLUMN"), std::string::npos) << up;
    EXPECT_NE(kinds(j.at("down").at("statements")).find("ALTER TABLE DROP COLUMN"), std::string::npos) << up;
    EXPECT_GT(j.at("down").at("total").at("predicted_seconds").get<double>(), 0) << up;
    EXPECT_TRUE(j.at("round_trip").at("schema_restored").get<bool>()) << j.at("round_trip").dump();
    EXPECT_TRUE(j.at("round_trip").at("data_intact").get<bool>()) << j.at("round_trip").dump();
    EXPECT_GT(j.at("round_trip").at("rows_before").get<long long>(), 1000);
    EXPECT_TRUE(j.at("irreversible").empty()) << j.at("irreversible").dump();
  }
  // --no-down: no way back.
  const CliResult plain = testing::run_cli({"estimate", "--dsn", g_server->dsn(), "--migration",
                                            dir + "golang-migrate/2_add_gift_note.up.sql", "--no-down", "--format", "json",
                                            "--quiet", "--repeats", "1", "--max-slice-rows", "5000"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_FALSE(nlohmann::json::parse(plain.out).contains("down"));
  EXPECT_EQ(query_one("SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM orders o"), before);
}

TEST(WayBack, ANarrowingTypeChangeAndADroppedColumnAreFlagged) {
  const std::string before = query_one("SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM orders o");
  const std::string up = (fs::path(::testing::TempDir()) / "narrow.sql").string();
  const std::string down = (fs::path(::testing::TempDir()) / "widen.sql").string();
  testing::write_file(up, "ALTER TABLE orders ALTER COLUMN unit_price TYPE numeric(10,0);\nALTER TABLE orders DROP COLUMN note;\n");
  testing::write_file(down, "ALTER TABLE orders ALTER COLUMN unit_price TYPE numeric(10,2);\nALTER TABLE orders ADD COLUMN note text;\n");
  const std::string junit = (fs::path(::testing::TempDir()) / "narrow.xml").string();
  const CliResult r = testing::run_cli({"estimate", "--dsn", g_server->dsn(), "--migration", up, "--down", down,
                                        "--format", "text,junit:" + junit, "--quiet", "--repeats", "1",
                                        "--max-slice-rows", "5000"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("data NOT intact"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("changed columns: note, unit_price"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("narrow.sql:2:1 ALTER TABLE DROP COLUMN: it drops column note"), std::string::npos) << r.out;
  EXPECT_NE(testing::read_file(junit).find("type=\"way-back\""), std::string::npos);
  EXPECT_EQ(std::system(fmt::format("xmllint --noout --schema {}/tests/tools/junit.xsd {} >/dev/null 2>&1", MIGSIM_SOURCE_DIR, junit).c_str()), 0);
  // A folder has no single way back.
  EXPECT_EQ(testing::run_cli({"estimate", "--dsn", g_server->dsn(), "--migration",
                              std::string(MIGSIM_SOURCE_DIR) + "/datasets/migrations/flyway", "--down", down, "--quiet"})
                .code,
            2);
  EXPECT_EQ(query_one("SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM orders o"), before);
}

}  // namespace
}  // namespace migsim
