// sampler/ parts that need no server: the slice ladder and the safety check.
#include <gtest/gtest.h>

#include "app/estimate_pipeline.h"
#include "sampler/errors.h"
#include "sampler/sampler.h"
#include "sampler/table_profile.h"

namespace migsim::sampler {
namespace {

const migration::RelationRef kOrders{"public", "orders", -1, -1};

TEST(SliceLadder, ThreeRungsAFactorOfThreeApart) {
  EXPECT_EQ(slice_ladder(1e6, 200000), (std::vector<long long>{11111, 33333, 100000}));
  EXPECT_EQ(slice_ladder(1e9, 200000), (std::vector<long long>{22222, 66666, 200000}));
  EXPECT_EQ(slice_ladder(20000, 200000), (std::vector<long long>{555, 1666, 5000}));
  EXPECT_EQ(slice_ladder(3000, 200000), (std::vector<long long>{333, 1000, 3000}));
  EXPECT_EQ(slice_ladder(999, 200000), (std::vector<long long>{999}));
  EXPECT_EQ(slice_ladder(0, 200000), (std::vector<long long>{0}));
}

TEST(MapsTheCopyFirst, WhenTheFullTableIsScannedThroughARing) {
  TableProfile big;
  big.server.shared_buffers_pages = 32768;  // 256 MB
  big.heap_pages = 8193;                    // just over a quarter: the full table's scans use a ring
  TableProfile small = big;
  small.heap_pages = 8192;
  const auto parsed = [](const std::string& sql) { return migration::parse_migration(sql, "m.sql"); };
  const migration::Migration scan = parsed("ALTER TABLE orders ADD CONSTRAINT c CHECK (quantity > 0);");
  const migration::Migration rewrite = parsed("ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;");
  const migration::Migration index = parsed("CREATE INDEX i ON orders (status);");
  const migration::Migration update = parsed("UPDATE orders SET note = '';");
  const migration::Migration catalog = parsed("SET lock_timeout = '1s';\nALTER TABLE orders ADD COLUMN x int;");
  for (const auto* m : {&scan, &rewrite, &index, &update}) {
    EXPECT_TRUE(maps_the_copy_first(*m, big)) << m->statements.back().kind;
    EXPECT_FALSE(maps_the_copy_first(*m, small)) << m->statements.back().kind;
  }
  EXPECT_FALSE(maps_the_copy_first(catalog, big));
  // One statement that reads the rows is enough.
  EXPECT_TRUE(maps_the_copy_first(parsed("ALTER TABLE orders ADD COLUMN x int;\nCREATE INDEX i ON orders (x);"), big));
}

// PostgreSQL 15's plan_create_index_workers, with the defaults
// (max_parallel_maintenance_workers 2, maintenance_work_mem 64 MB,
// min_parallel_table_scan_size 8 MB = 1024 pages) unless the case says.
TEST(PlannedIndexWorkers, AsPostgresPlansThem) {
  // Below min_parallel_table_scan_size: serial (the 10,000- and 30,000-row slices of the benchmark).
  EXPECT_EQ(planned_index_workers(219, -1, 2, 65536, 1024), 0);
  EXPECT_EQ(planned_index_workers(1023, -1, 2, 65536, 1024), 0);
  // From there one worker, one more at 3x, 9x, ...; capped by max_parallel_maintenance_workers,
  // then by 32 MB per participant: 64 MB feeds the leader and one worker.
  EXPECT_EQ(planned_index_workers(1024, -1, 2, 65536, 1024), 1);
  EXPECT_EQ(planned_index_workers(112603, -1, 2, 65536, 1024), 1);  // the 5,000,000-row orders table
  EXPECT_EQ(planned_index_workers(112603, -1, 2, 65535, 1024), 0);
  EXPECT_EQ(planned_index_workers(112603, -1, 2, 98304, 1024), 2);
  EXPECT_EQ(planned_index_workers(3071, -1, 8, 1 << 20, 1024), 1);
  EXPECT_EQ(planned_index_workers(3072, -1, 8, 1 << 20, 1024), 2);
  EXPECT_EQ(planned_index_workers(9216, -1, 8, 1 << 20, 1024), 3);
  EXPECT_EQ(planned_index_workers(112603, -1, 8, 1 << 20, 1024), 5);
  EXPECT_EQ(planned_index_workers(112603, -1, 8, 131072, 1024), 3);  // 128 MB: 4 participants of 32 MB
  // max_parallel_maintenance_workers 0 turns them off; a table's parallel_workers wins, capped, with no memory cap.
  EXPECT_EQ(planned_index_workers(112603, -1, 0, 1 << 20, 1024), 0);
  EXPECT_EQ(planned_index_workers(10, 4, 2, 1024, 1024), 2);
  EXPECT_EQ(planned_index_workers(1e6, 0, 2, 1 << 20, 1024), 0);
}

void expect_refused(const std::string& sql, const std::string& fragment) {
  const migration::Migration m = migration::parse_migration(sql, "m.sql");
  try {
    check_runnable(m, kOrders);
    FAIL() << "not refused: " << sql;
  } catch (const UnsafeMigration& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(CheckRunnable, RefusesWhatCouldReachOutsideTheCopy) {
  expect_refused("UPDATE orders SET a = c.a FROM customers c WHERE c.id = orders.cid", "references table customers");
  expect_refused("DO $$ BEGIN PERFORM 1; END $$", "not run against the scratch copy");
  expect_refused("SET search_path = public", "setting 'search_path'");
  expect_refused("SET ROLE admin", "setting 'role'");
  expect_refused("DROP INDEX public.orders_status_idx", "schema-qualified name public.orders_status_idx");
  expect_refused("VACUUM", "whole database");
  expect_refused("\n\nGRANT SELECT ON orders TO app", "m.sql:3:1:");
  expect_refused("ALTER TABLE orders ADD COLUMN n bigint DEFAULT nextval('orders_id_seq')", "calls nextval()");
  expect_refused("UPDATE orders SET note = pg_terminate_backend(42)::text WHERE id = 1", "calls pg_terminate_backend()");
  expect_refused("UPDATE orders SET note = public.lower(note) WHERE id = 1", "calls public.lower()");
  expect_refused("UPDATE orders SET note = dblink_exec('x', 'y') WHERE id = 1", "calls dblink_exec()");
}

TEST(CheckRunnable, KnownSafeFunctionsAndFunctionsAllowedByName) {
  const migration::Migration m = migration::parse_migration(
      "UPDATE orders SET note = lower(note) || md5(now()::text) WHERE id < 10;\n"
      "ALTER TABLE orders ALTER COLUMN code TYPE integer USING pg_catalog.length(code);\n",
      "m.sql");
  EXPECT_NO_THROW(check_runnable(m, kOrders));
  const migration::Migration custom = migration::parse_migration("ALTER TABLE orders ADD COLUMN x int DEFAULT f();", "m");
  EXPECT_THROW(check_runnable(custom, kOrders), UnsafeMigration);
  Allowances allow;
  allow.functions = {"f"};
  EXPECT_NO_THROW(check_runnable(custom, kOrders, allow));
}

TEST(PlanUsesStatistics, OnlyAnUpdateOfEveryRowOfTheTableAloneIsASequentialScanWhateverTheySay) {
  auto uses = [](const std::string& sql) {
    return plan_uses_statistics(migration::parse_migration(sql, "m.sql").statements.at(0));
  };
  EXPECT_FALSE(uses("UPDATE orders SET updated_at = coalesce(updated_at, created_at) + interval '1 second'"));
  EXPECT_FALSE(uses("UPDATE orders SET note = lower(note) || md5(status)"));
  EXPECT_TRUE(uses("UPDATE orders SET note = lower(note) WHERE id < 1000"));
  EXPECT_TRUE(uses("UPDATE orders o SET note = c.name FROM customers c WHERE c.id = o.customer_id"));
  EXPECT_TRUE(uses("UPDATE orders o SET note = (SELECT max(note) FROM orders i WHERE i.customer_id = o.customer_id)"));
  EXPECT_TRUE(uses("WITH s AS (SELECT 1 AS one) UPDATE orders SET quantity = quantity + 1"));
  EXPECT_TRUE(uses("UPDATE orders SET note = my_function(note)"));  // may run SQL of its own
  EXPECT_TRUE(uses("DELETE FROM orders"));
  EXPECT_TRUE(uses("INSERT INTO orders (id) SELECT g FROM generate_series(1, 10) g"));
}

TEST(CheckRunnable, DoBlocksAndSettingsOnlyWhenAllowed) {
  const migration::Migration m = migration::parse_migration(
      "SET search_path = public;\nDO $$ BEGIN PERFORM 1; END $$;\n", "m.sql");
  EXPECT_THROW(check_runnable(m, kOrders), UnsafeMigration);
  Allowances allow;
  allow.settings = {"search_path"};
  EXPECT_THROW(check_runnable(m, kOrders, allow), UnsafeMigration);  // the DO block still
  allow.do_blocks = true;
  EXPECT_NO_THROW(check_runnable(m, kOrders, allow));
}

TEST(CheckRunnable, AcceptsMigrationsOfTheTargetTable) {
  const migration::Migration m = migration::parse_migration(
      "SET lock_timeout = '2s';\n"
      "BEGIN;\n"
      "ALTER TABLE public.orders ADD COLUMN x int;\n"
      "UPDATE orders SET x = 1 WHERE id < 100;\n"
      "COMMIT;\n"
      "CREATE INDEX CONCURRENTLY orders_x_idx ON orders (x);\n"
      "DROP INDEX orders_x_idx;\n",
      "m.sql");
  EXPECT_NO_THROW(check_runnable(m, kOrders));
}

TEST(TargetTable, InferredOrNamedOrRefused) {
  const auto one = migration::parse_migration("ALTER TABLE app.orders ADD COLUMN x int", "m.sql");
  EXPECT_EQ(app::target_table(one, "").name, "orders");
  EXPECT_EQ(app::target_table(one, "app.orders").schema, "app");
  EXPECT_THROW(app::target_table(one, "customers"), InputError);
  const auto none = migration::parse_migration("SET lock_timeout = '1s'", "m.sql");
  EXPECT_THROW(app::target_table(none, ""), InputError);
  EXPECT_EQ(app::target_table(none, "orders").name, "orders");  // the user's word, when nothing visible changes a table
  const auto two = migration::parse_migration("ALTER TABLE a ADD COLUMN x int; ALTER TABLE b ADD COLUMN y int;", "m");
  EXPECT_THROW(app::target_table(two, ""), InputError);
  EXPECT_EQ(app::target_table(two, "b").name, "b");
}

}  // namespace
}  // namespace migsim::sampler
