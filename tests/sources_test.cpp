// Finding and ordering migrations in the layouts teams keep them in.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "migration/migration.h"
#include "migration/sources.h"
#include "migration/strategy.h"
#include "tests/cli_runner.h"
#include "tests/test_files.h"

namespace migsim::migration {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / ("migsim_sources_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::vector<std::string> names(const std::vector<MigrationSource>& sources, const fs::path& base) {
  std::vector<std::string> out;
  for (const auto& s : sources) out.push_back(fs::relative(s.path, base).string());
  return out;
}

TEST(Sources, FlywayVersionsCompareNumerically) {
  const fs::path d = fresh_dir("flyway");
  for (const char* f : {"V10__later.sql", "V2__second.sql", "V1.1__patch.sql", "V1__first.sql", "R__views.sql"}) {
    write(d / f, "SELECT 1;\n");
  }
  const auto found = find_migrations(d.string());
  EXPECT_EQ(names(found, d), (std::vector<std::string>{"V1__first.sql", "V1.1__patch.sql", "V2__second.sql",
                                                        "V10__later.sql", "R__views.sql"}));
  EXPECT_EQ(found[0].layout, "flyway");
}

TEST(Sources, GolangMigrateUpFilesOnly) {
  const fs::path d = fresh_dir("golang");
  for (const char* f : {"10_add_index.up.sql", "10_add_index.down.sql", "9_create.up.sql", "9_create.down.sql"}) {
    write(d / f, "SELECT 1;\n");
  }
  EXPECT_EQ(names(find_migrations(d.string()), d), (std::vector<std::string>{"9_create.up.sql", "10_add_index.up.sql"}));
}

TEST(Sources, PrismaFolders) {
  const fs::path d = fresh_dir("prisma");
  write(d / "20240102000000_second" / "migration.sql", "SELECT 2;\n");
  write(d / "20240101000000_init" / "migration.sql", "SELECT 1;\n");
  write(d / "migration_lock.toml", "provider = \"postgresql\"\n");
  const auto found = find_migrations(d.string());
  EXPECT_EQ(names(found, d), (std::vector<std::string>{"20240101000000_init/migration.sql",
                                                        "20240102000000_second/migration.sql"}));
  EXPECT_EQ(found[0].layout, "prisma");
}

TEST(Sources, DbmateUpSectionKeepsItsLineNumbers) {
  const fs::path d = fresh_dir("dbmate");
  write(d / "20240101_add.sql",
        "-- migrate:up\nALTER TABLE t ADD COLUMN a int;\n\n-- migrate:down\nALTER TABLE t DROP COLUMN a;\n");
  const auto found = find_migrations(d.string());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].layout, "dbmate");
  const Migration m = parse_migration(found[0].text, found[0].path);
  ASSERT_EQ(m.statements.size(), 1u);
  EXPECT_EQ(m.statements[0].kind, "ALTER TABLE ADD COLUMN");
  EXPECT_EQ(m.statements[0].line, 2);
}

TEST(Sources, SqitchPlanOrder) {
  const fs::path d = fresh_dir("sqitch");
  write(d / "sqitch.plan", "%syntax-version=1.0.0\n%project=app\n\nusers 2024-01-01T00:00:00Z A <a@b> # users\n"
                           "orders [users] 2024-01-02T00:00:00Z A <a@b> # orders\n@v1 2024-01-03T00:00:00Z A <a@b>\n");
  write(d / "deploy" / "orders.sql", "CREATE TABLE orders (id int);\n");
  write(d / "deploy" / "users.sql", "CREATE TABLE users (id int);\n");
  EXPECT_EQ(names(find_migrations(d.string()), d), (std::vector<std::string>{"deploy/users.sql", "deploy/orders.sql"}));
  write(d / "sqitch.plan", "missing 2024-01-01T00:00:00Z A <a@b>\n");
  EXPECT_THROW(find_migrations(d.string()), InputError);
}

TEST(Sources, PlainFoldersInNaturalOrderAndLintReadsFolders) {
  const fs::path d = fresh_dir("plain");
  write(d / "10_index.sql", "CREATE INDEX i ON t (a);\n");
  write(d / "2_column.sql", "ALTER TABLE t ADD COLUMN a int;\n");
  EXPECT_EQ(names(find_migrations(d.string()), d), (std::vector<std::string>{"2_column.sql", "10_index.sql"}));
  const testing::CliResult r = testing::run_cli({"lint", "--format", "json", d.string()});
  EXPECT_EQ(r.code, 1) << r.err;  // CREATE INDEX without CONCURRENTLY
  EXPECT_LT(r.out.find("2_column.sql"), r.out.find("10_index.sql"));
  EXPECT_THROW(find_migrations((d / "nope").string()), InputError);
}

// The example trees in datasets/migrations/: one per framework, each the same
// three migrations (create order_tags; add gift_note; a CHECK on gift_note).
TEST(Layouts, EachFrameworksExampleTreeInTheOrderItsToolApplies) {
  const std::string base = std::string(MIGSIM_DATASETS_DIR) + "/migrations/";
  const std::vector<std::pair<std::string, std::vector<std::string>>> trees = {
      {"flyway", {"V1__create_order_tags.sql", "V2__add_gift_note.sql", "V10__check_gift_note.sql"}},
      {"golang-migrate", {"1_create_order_tags.up.sql", "2_add_gift_note.up.sql", "10_check_gift_note.up.sql"}},
      {"prisma", {"20240101090000_create_order_tags/migration.sql", "20240102090000_add_gift_note/migration.sql",
                  "20240110090000_check_gift_note/migration.sql"}},
      {"dbmate", {"20240101090000_create_order_tags.sql", "20240102090000_add_gift_note.sql",
                  "20240110090000_check_gift_note.sql"}},
      {"sqitch", {"deploy/create_order_tags.sql", "deploy/add_gift_note.sql", "deploy/check_gift_note.sql"}},
  };
  for (const auto& [layout, expected] : trees) {
    SCOPED_TRACE(layout);
    const auto found = find_migrations(base + layout);
    EXPECT_EQ(names(found, base + layout), expected);
    std::vector<std::string> kinds;
    for (const auto& source : found) {
      EXPECT_EQ(source.layout, layout);
      const Migration m = parse_migration(source.text, source.path);
      std::string k;
      for (const auto& st : m.statements) {
        if (!st.is_transaction_control && !st.is_session_setting) k += (k.empty() ? "" : ", ") + st.kind;
      }
      kinds.push_back(k);
    }
    EXPECT_EQ(kinds, (std::vector<std::string>{"CREATE TABLE", "ALTER TABLE ADD COLUMN",
                                               "ALTER TABLE ADD CHECK NOT VALID, ALTER TABLE VALIDATE CONSTRAINT"}));
  }
}

TEST(Dumps, EachToolsDumpSplitsIntoItsMigrationsWithTheirLines) {
  const std::string base = std::string(MIGSIM_DATASETS_DIR) + "/migrations/dumps/";
  struct Dump {
    std::string file, layout;
    std::vector<std::string> labels;
    int validate_line;
  };
  for (const Dump& d : {Dump{"alembic.sql", "alembic",
                             {"upgrade -> 1a2b3c4d5e6f", "upgrade 1a2b3c4d5e6f -> 2b3c4d5e6f7a",
                              "upgrade 2b3c4d5e6f7a -> 3c4d5e6f7a8b"},
                             29},
                        Dump{"rails.log", "rails",
                             {"20240101090000 CreateOrderTags", "20240102090000 AddGiftNoteToOrders",
                              "20240110090000 CheckGiftNoteLength"},
                             20},
                        Dump{"django.sql", "django",
                             {"Create model OrderTag", "Add field gift_note to order",
                              "Create constraint orders_gift_note_length on model order"},
                             21}}) {
    SCOPED_TRACE(d.file);
    const std::string text = testing::read_file(base + d.file);
    const auto parts = split_dump(text, d.file);
    ASSERT_EQ(parts.size(), d.labels.size());
    std::vector<Migration> migrations;
    for (size_t i = 0; i < parts.size(); ++i) {
      EXPECT_EQ(parts[i].layout, d.layout);
      EXPECT_EQ(parts[i].path, d.file + " [" + d.labels[i] + "]");
      migrations.push_back(parse_migration(parts[i].text, parts[i].path));
      drop_bookkeeping(migrations.back());
      for (const auto& st : migrations.back().statements) {
        EXPECT_EQ(st.sql.find("version"), std::string::npos) << "a bookkeeping statement was kept: " << st.sql;
      }
    }
    // Each part holds its own statements, whole (transaction control aside).
    std::vector<std::string> kinds;
    for (const Migration& m : migrations) {
      std::string k;
      for (const auto& st : m.statements) {
        if (!st.is_transaction_control) k += (k.empty() ? "" : ", ") + st.kind;
      }
      kinds.push_back(k);
    }
    EXPECT_EQ(kinds, (std::vector<std::string>{"CREATE TABLE", "ALTER TABLE ADD COLUMN",
                                               "ALTER TABLE ADD CHECK NOT VALID, ALTER TABLE VALIDATE CONSTRAINT"}));
    ASSERT_GE(migrations[2].statements.size(), 2u);
    const Statement& validate = migrations[2].statements[migrations[2].statements.size() - (d.layout == "rails" ? 1 : 2)];
    EXPECT_EQ(validate.kind, "ALTER TABLE VALIDATE CONSTRAINT");
    EXPECT_EQ(validate.line, d.validate_line);
    EXPECT_EQ(altered_tables(migrations[1]).at(0).name, "orders");
  }
  // Plain SQL is one migration, unchanged.
  const auto plain = split_dump("ALTER TABLE t ADD COLUMN a int;\n", "m.sql");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].layout, "plain");
  EXPECT_EQ(plain[0].path, "m.sql");
}

TEST(Dumps, RailsPartsStayWholeWhenLoggedBindListsAreRemoved) {
  const std::string log =
      "== 1 First: migrating ====\n"
      "   (0.5ms)  UPDATE t SET a = $1  [[\"a\", \"" + std::string(120, 'x') + "\"]]\n"
      "== 1 First: migrated (0.0010s) ====\n"
      "== 2 Second: migrating ====\n"
      "   (0.5ms)  ALTER TABLE t ADD COLUMN b int\n";
  const auto parts = split_dump(log, "log");
  ASSERT_EQ(parts.size(), 2u);
  const Migration first = parse_migration(parts[0].text, parts[0].path);
  const Migration second = parse_migration(parts[1].text, parts[1].path);
  ASSERT_EQ(first.statements.size(), 1u);
  EXPECT_EQ(first.statements[0].sql, "UPDATE t SET a = $1");
  ASSERT_EQ(second.statements.size(), 1u);
  EXPECT_EQ(second.statements[0].sql, "ALTER TABLE t ADD COLUMN b int");
  EXPECT_EQ(second.statements[0].line, 5);
  EXPECT_EQ(second.statements[0].column, 13);
}

TEST(Dumps, BookkeepingStatementsAreLeftOutWithANote) {
  Migration m = parse_migration("INSERT INTO schema_migrations (version) VALUES ('1');\n"
                                "ALTER TABLE orders ADD COLUMN a int;\n"
                                "UPDATE alembic_version SET version_num = '2';\n"
                                "UPDATE orders SET a = 1 FROM schema_migrations s;\n",
                                "m.sql");
  EXPECT_EQ(drop_bookkeeping(m), 2);
  ASSERT_EQ(m.statements.size(), 2u);  // the UPDATE of orders reads schema_migrations, and stays
  EXPECT_EQ(m.statements[0].line, 2);
  EXPECT_EQ(m.statements[1].line, 4);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_EQ(m.notes[0], "2 statements on the migration tool's own version table left out");
}

TEST(Concatenate, RunsTheMigrationsOneAfterAnotherAndKeepsEachFilesLines) {
  const Migration a = parse_migration("ALTER TABLE orders ADD COLUMN a int;\n", "a.sql");
  const Migration b = parse_migration("\n\nALTER TABLE orders ALTER COLUMN a TYPE bigint;\n", "b.sql");
  const Migration m = concatenate({a, b}, "both");
  ASSERT_EQ(m.statements.size(), 2u);
  EXPECT_EQ(location(m, m.statements[0]), "a.sql:1:1");
  EXPECT_EQ(location(m, m.statements[1]), "b.sql:3:1");
  // Offsets point into the joined text: redirecting the second statement's table edits the right bytes.
  const std::string redirected =
      redirect_relations(m.statements[1], [](const RelationRef&) { return std::string("s.\"orders\""); });
  EXPECT_EQ(redirected, "ALTER TABLE s.\"orders\" ALTER COLUMN a TYPE bigint");
}

}  // namespace
}  // namespace migsim::migration

namespace migsim::migration {
namespace {

TEST(Strategy, AFolderIsPhasesInOrderAFileIsOnePhase) {
  const std::string dir = std::string(MIGSIM_DATASETS_DIR) + "/strategies/widen-customer-id/";
  const Strategy plan = load_strategy("expand-contract", dir + "expand-contract");
  std::vector<std::string> names;
  for (const Phase& p : plan.phases) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"expand", "backfill", "index", "contract"}));
  EXPECT_EQ(plan.deploys(), 2);
  EXPECT_TRUE(plan.phases[1].same_deploy);
  EXPECT_FALSE(plan.phases[3].same_deploy);
  ASSERT_TRUE(plan.phases[1].migration.statements.back().batching);
  EXPECT_EQ(plan.phases[1].migration.statements.back().batching->batch_rows, 5000);
  const Strategy direct = load_strategy("direct", dir + "direct.sql");
  ASSERT_EQ(direct.phases.size(), 1u);
  EXPECT_EQ(direct.phases[0].name, "direct");
  EXPECT_EQ(split_strategy_argument("a=b=c"), (std::pair<std::string, std::string>{"a", "b=c"}));
  EXPECT_THROW(split_strategy_argument("=x"), InputError);
  EXPECT_THROW(split_strategy_argument("x="), InputError);
  EXPECT_THROW(load_strategy("none", dir + "missing"), InputError);
}

}  // namespace
}  // namespace migsim::migration

namespace migsim::migration {
namespace {

TEST(Sources, TheWayBackIsFoundBesideTheUpMigration) {
  const std::string dir = std::string(MIGSIM_DATASETS_DIR) + "/migrations/";
  const auto golang = find_down(dir + "golang-migrate/2_add_gift_note.up.sql");
  ASSERT_TRUE(golang);
  EXPECT_EQ(golang->layout, "golang-migrate");
  EXPECT_EQ(golang->path, dir + "golang-migrate/2_add_gift_note.down.sql");
  const auto dbmate = find_down(dir + "dbmate/20240102090000_add_gift_note.sql");
  ASSERT_TRUE(dbmate);
  EXPECT_EQ(dbmate->layout, "dbmate");
  const Migration back = parse_migration(dbmate->text, dbmate->path);
  ASSERT_EQ(back.statements.size(), 1u);
  EXPECT_EQ(back.statements[0].kind, "ALTER TABLE DROP COLUMN");
  EXPECT_EQ(back.statements[0].line, 6);  // lines still point into the file
  const Migration up = parse_migration(up_part(testing::read_file(dir + "dbmate/20240102090000_add_gift_note.sql")), "up");
  EXPECT_EQ(up.statements.back().kind, "ALTER TABLE ADD COLUMN");
  const auto sqitch = find_down(dir + "sqitch/deploy/add_gift_note.sql");
  ASSERT_TRUE(sqitch);
  EXPECT_EQ(sqitch->path, dir + "sqitch/revert/add_gift_note.sql");
  EXPECT_FALSE(find_down(dir + "flyway/V2__add_gift_note.sql"));
  EXPECT_FALSE(find_down("-"));
}

}  // namespace
}  // namespace migsim::migration
