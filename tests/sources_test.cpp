// Finding and ordering migrations in the layouts teams keep them in.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "migration/migration.h"
#include "migration/sources.h"
#include "tests/cli_runner.h"

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

}  // namespace
}  // namespace migsim::migration
