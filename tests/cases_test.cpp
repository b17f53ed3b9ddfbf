// Data-driven cases: tests/cases/NAME.sql and NAME.expected side by side.
// Each line of NAME.expected is one statement:
//   KIND | relation=LockMode, ... | effect | finding-rule, ...
// ("-" for an empty part; lines starting with '#' are comments). To add a
// case, add the .sql file and run the tests with MIGSIM_UPDATE_CASES=1 to
// write its .expected, then read it (and let cases_server_test confirm it).
#include <gtest/gtest.h>

#include "tests/test_files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "migration/lint.h"
#include "migration/migration.h"

namespace migsim::migration {
namespace {

namespace fs = std::filesystem;

std::string describe(const Migration& m, const std::vector<Finding>& findings) {
  std::string out;
  for (size_t i = 0; i < m.statements.size(); ++i) {
    const Statement& st = m.statements[i];
    std::string locks;
    for (const RelationLock& l : st.locks) {
      locks += (locks.empty() ? "" : ", ") + l.relation.name + "=" + std::string(sim::lock_mode_name(l.mode));
    }
    std::string rules;
    for (const Finding& f : findings) {
      if (f.statement == i) rules += (rules.empty() ? "" : ", ") + f.rule;
    }
    out += st.kind + " | " + (locks.empty() ? "-" : locks) + " | " + std::string(effect_name(st.effect)) + " | " +
           (rules.empty() ? "-" : rules) + "\n";
  }
  return out;
}

std::string read(const fs::path& p) { return testing::read_file(p.string()); }

std::string without_comments(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') out += line + "\n";
  }
  return out;
}

TEST(Cases, EveryCaseMatchesItsExpectedAnalysis) {
  const fs::path dir = MIGSIM_CASES_DIR;
  const bool update = std::getenv("MIGSIM_UPDATE_CASES") != nullptr;
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path sql = entry.path();
    if (sql.extension() != ".sql" || sql.filename() == "fixture.sql") continue;
    ++cases;
    SCOPED_TRACE(sql.filename().string());
    const Migration m = parse_migration(read(sql), sql.filename().string());
    const std::string actual = describe(m, lint(m));
    fs::path expected_path = sql;
    expected_path.replace_extension(".expected");
    if (update) {
      std::ofstream(expected_path) << actual;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << "no " << expected_path.filename() << " (run with MIGSIM_UPDATE_CASES=1)";
    EXPECT_EQ(actual, without_comments(read(expected_path)));
  }
  EXPECT_GE(cases, 80);
}

}  // namespace
}  // namespace migsim::migration
