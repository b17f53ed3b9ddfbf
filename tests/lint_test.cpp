#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/cli.h"
#include "tests/cli_runner.h"
#include "migration/lint.h"

namespace migsim::migration {
namespace {

std::vector<std::string> rules_of(const std::vector<Finding>& findings) {
  std::vector<std::string> ids;
  for (const Finding& f : findings) ids.push_back(f.rule);
  return ids;
}

const Finding* find(const std::vector<Finding>& findings, std::string_view rule) {
  for (const Finding& f : findings) {
    if (f.rule == rule) return &f;
  }
  return nullptr;
}

TEST(Lint, AtLeastTwentyFiveRulesWithUniqueIdsAndAdvice) {
  std::set<std::string_view> ids;
  for (const Rule& r : lint_rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_FALSE(r.why.empty()) << r.id;
    EXPECT_FALSE(r.alternative.empty()) << r.id;
  }
  EXPECT_GE(ids.size(), 25u);
}

TEST(Lint, SeverityScalesWithTheTableSize) {
  const Migration m = parse_migration("SET lock_timeout = '1s';\nALTER TABLE t ALTER COLUMN a TYPE bigint;\n", "m.sql");
  EXPECT_EQ(find(lint(m), "column-type-rewrites")->severity, Severity::error);
  LintOptions tiny;
  tiny.table_rows = 300;
  EXPECT_EQ(find(lint(m, tiny), "column-type-rewrites")->severity, Severity::warning);
  const Migration check = parse_migration("SET lock_timeout = '1s';\nALTER TABLE t ADD CHECK (a > 0);\n", "m.sql");
  LintOptions huge;
  huge.table_rows = 3e8;
  EXPECT_EQ(find(lint(check), "add-check-validates")->severity, Severity::warning);
  EXPECT_EQ(find(lint(check, huge), "add-check-validates")->severity, Severity::error);
  // Rules about behaviour, not volume, do not scale.
  const Migration rename = parse_migration("ALTER TABLE t RENAME COLUMN a TO b;", "m.sql");
  EXPECT_EQ(find(lint(rename, tiny), "rename-column")->severity, Severity::error);
}

TEST(Lint, IgnoreCommentsAndRunOptions) {
  const Migration m = parse_migration(
      "-- migsim:ignore missing-lock-timeout, drop-column\n"
      "ALTER TABLE t DROP COLUMN a;\n"
      "ALTER TABLE t DROP COLUMN b; -- migsim:ignore all\n"
      "ALTER TABLE t DROP COLUMN c;\n",
      "m.sql");
  const std::vector<Finding> f = lint(m);
  for (const Finding& x : f) EXPECT_EQ(x.statement, 2u) << x.rule;
  EXPECT_EQ(rules_of(f), (std::vector<std::string>{"missing-lock-timeout", "drop-column"}));
  LintOptions off;
  off.disabled = {"drop-column"};
  EXPECT_EQ(rules_of(lint(m, off)), (std::vector<std::string>{"missing-lock-timeout"}));
}

TEST(Lint, TablesCreatedInTheMigrationAreExempt) {
  const Migration m = parse_migration(
      "CREATE TABLE s (id int);\nCREATE INDEX s_id ON s (id);\nALTER TABLE s ALTER COLUMN id TYPE bigint;\n", "m.sql");
  EXPECT_TRUE(lint(m).empty());
}

TEST(Lint, SetNotNullAfterAValidatedCheckIsFine) {
  const Migration m = parse_migration(
      "SET lock_timeout = '1s';\n"
      "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID;\n"
      "ALTER TABLE t VALIDATE CONSTRAINT c;\n"
      "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
      "ALTER TABLE t ALTER COLUMN b SET NOT NULL;\n",
      "m.sql");
  const std::vector<Finding> f = lint(m);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "set-not-null-scans");
  EXPECT_EQ(f[0].line, 5);
}

testing::CliResult lint_cli(const std::vector<std::string>& extra, const std::string& sql) {
  const std::string path = ::testing::TempDir() + "lint_case.sql";
  std::ofstream(path) << sql;
  std::vector<std::string> args = {"lint"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(path);
  return testing::run_cli(args);
}

TEST(LintCommand, ExitCodesFollowFailOn) {
  const std::string warning_only = "SET lock_timeout = '1s';\nALTER TABLE t DROP COLUMN a;\n";
  EXPECT_EQ(lint_cli({}, warning_only).code, 0);
  EXPECT_EQ(lint_cli({"--fail-on", "warning"}, warning_only).code, 1);
  EXPECT_EQ(lint_cli({"--fail-on", "warning", "--ignore", "drop-column"}, warning_only).code, 0);
  EXPECT_EQ(lint_cli({}, "CREATE INDEX i ON t (a);").code, 1);
  EXPECT_EQ(lint_cli({"--fail-on", "never"}, "CREATE INDEX i ON t (a);").code, 0);
  const testing::CliResult bad = lint_cli({}, "ALTER TABLE t\n  ADD COLUMN a int DEFALT 1;\n");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("lint_case.sql:2:20: syntax error at or near \"DEFALT\""), std::string::npos) << bad.err;
  EXPECT_EQ(lint_cli({"--ignore", "no-such-rule"}, warning_only).code, 2);
}

TEST(LintCommand, JsonCarriesTheStatementsContract) {
  const testing::CliResult r = lint_cli({"--format", "json"}, "ALTER TABLE app.orders ALTER COLUMN q TYPE bigint;\n");
  ASSERT_EQ(r.code, 1) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const auto& st = j.at("statements").at(0);
  EXPECT_EQ(st.at("index"), 0);
  EXPECT_EQ(st.at("line"), 1);
  EXPECT_EQ(st.at("column"), 1);
  EXPECT_EQ(st.at("kind"), "ALTER TABLE ALTER COLUMN TYPE");
  EXPECT_EQ(st.at("relations").at(0).at("schema"), "app");
  EXPECT_EQ(st.at("relations").at(0).at("name"), "orders");
  EXPECT_EQ(st.at("relations").at(0).at("lock_mode"), "AccessExclusiveLock");
  EXPECT_EQ(st.at("effect"), "rewrite");
  std::set<std::string> rules;
  for (const auto& f : st.at("findings")) {
    rules.insert(f.at("rule").get<std::string>());
    EXPECT_FALSE(f.at("message").get<std::string>().empty());
    EXPECT_TRUE(f.at("severity") == "error" || f.at("severity") == "warning" || f.at("severity") == "info");
  }
  EXPECT_EQ(rules, (std::set<std::string>{"column-type-rewrites", "missing-lock-timeout"}));
  EXPECT_EQ(j.at("summary").at("errors"), 1);
}

}  // namespace
}  // namespace migsim::migration
