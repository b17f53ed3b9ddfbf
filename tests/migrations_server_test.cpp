// `migsim estimate` on migrations as teams keep them (datasets/migrations/:
// a folder per framework, and the dumps of alembic, Rails and Django), with
// --since, --traffic, every report format checked by its validator, and the
// terminal behaviour (colour, NO_COLOR, the progress bar) under a real pty.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "sampler/local_server.h"
#include "tests/cli_runner.h"
#include "tests/test_files.h"

namespace migsim {

extern sampler::LocalServer* g_server;  // integration_test.cpp
std::string query_one(const std::string& sql);  // integration_test.cpp

namespace {

namespace fs = std::filesystem;
using testing::CliResult;

const std::string kMigrations = std::string(MIGSIM_SOURCE_DIR) + "/datasets/migrations/";
const std::string kTraffic = std::string(MIGSIM_SOURCE_DIR) + "/datasets/simulation/traffic_web_app.json";

std::vector<std::string> fast(std::vector<std::string> args) {
  for (const char* a : {"--quiet", "--repeats", "1", "--max-slice-rows", "5000"}) args.emplace_back(a);
  return args;
}

// What the tests check the source against: rows, structure and indexes.
std::string orders_state() {
  return query_one("SELECT md5(string_agg(o::text, '|' ORDER BY o.id)) FROM orders o") + "/" +
         query_one("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'orders'::regclass "
                   "AND attnum > 0 AND NOT attisdropped") +
         "/" + query_one("SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass");
}

struct Shell {
  int code;
  std::string out;
};

// Runs `command` with /bin/sh, stdout and stderr together.
Shell shell(const std::string& command) {
  Shell r{-1, ""};
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string statement_kinds(const nlohmann::json& migration) {
  std::string kinds;
  for (const auto& st : migration.at("statements")) kinds += (kinds.empty() ? "" : "; ") + st.at("kind").get<std::string>();
  return kinds;
}

TEST(Migrations, EveryLayoutInOrderEachOnItsOwnAndInTotal) {
  const std::string before = orders_state();
  const std::vector<std::pair<std::string, std::string>> layouts = {
      {"flyway", "flyway"},           {"golang-migrate", "golang-migrate"}, {"prisma", "prisma"},
      {"dbmate", "dbmate"},           {"sqitch", "sqitch"},                 {"dumps/alembic.sql", "alembic"},
      {"dumps/rails.log", "rails"},   {"dumps/django.sql", "django"}};
  for (const auto& [path, layout] : layouts) {
    SCOPED_TRACE(path);
    const CliResult r = testing::run_cli(fast({"estimate", "--dsn", g_server->dsn(), "--migration", kMigrations + path,
                                               "--format", "json"}));
    ASSERT_EQ(r.code, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("layout"), layout);
    const auto& m = j.at("migrations");
    ASSERT_EQ(m.size(), 3u);
    // 1: CREATE TABLE order_tags; 2: ADD COLUMN gift_note; 3: a CHECK on gift_note, added NOT VALID and validated,
    // which runs only because 2 ran before it on the same copies.
    EXPECT_TRUE(m[0].contains("not_timed")) << m[0].dump();
    EXPECT_NE(statement_kinds(m[1]).find("ALTER TABLE ADD COLUMN"), std::string::npos) << statement_kinds(m[1]);
    EXPECT_NE(statement_kinds(m[2]).find("ALTER TABLE VALIDATE CONSTRAINT"), std::string::npos) << statement_kinds(m[2]);
    for (const auto& st : m[2].at("statements")) {
      if (st.at("kind") == "ALTER TABLE VALIDATE CONSTRAINT") {
        EXPECT_EQ(st.at("effect"), "scan");
      }
    }
    for (const auto& st : m[1].at("statements")) {  // the tool's own version table is not part of the change
      EXPECT_EQ(st.at("sql").get<std::string>().find("version"), std::string::npos) << st.at("sql");
    }
    const double sum = m[1].at("total").at("predicted_seconds").get<double>() +
                       m[2].at("total").at("predicted_seconds").get<double>();
    EXPECT_NEAR(j.at("total").at("predicted_seconds").get<double>(), sum, 1e-9);
    EXPECT_EQ(j.at("verdict"), "ok");
  }
  EXPECT_EQ(orders_state(), before);
  EXPECT_EQ(query_one("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'migsim_scratch_%'"), "0");
  EXPECT_EQ(query_one("SELECT count(*) FROM pg_class WHERE relname = 'order_tags'"), "0");
}

TEST(Migrations, StandardInputTakesADump) {
  const Shell r = shell(fmt::format("{} estimate --dsn {} --migration - --format json --quiet --repeats 1 "
                                    "--max-slice-rows 5000 < {}",
                                    MIGSIM_BINARY, quoted(g_server->dsn()), quoted(kMigrations + "dumps/alembic.sql")));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(testing::schema_violations("estimate_set", r.out), "");
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("source"), "<stdin>");
  ASSERT_EQ(j.at("migrations").size(), 3u);
  EXPECT_EQ(j.at("migrations")[2].at("migration").at("file"), "<stdin> [upgrade 2b3c4d5e6f7a -> 3c4d5e6f7a8b]");
  // Lines point into the dump: the VALIDATE is on its line 29.
  bool found = false;
  for (const auto& st : j.at("migrations")[2].at("statements")) {
    if (st.at("kind") == "ALTER TABLE VALIDATE CONSTRAINT") found = st.at("line") == 29;
  }
  EXPECT_TRUE(found) << j.at("migrations")[2].dump();
}

TEST(Migrations, SinceARevisionTakesOnlyTheChangedOnes) {
  const fs::path repo = fs::path(::testing::TempDir()) / "migsim_since_repo";
  fs::remove_all(repo);
  fs::create_directories(repo / "db");
  for (const auto& entry : fs::directory_iterator(kMigrations + "flyway")) fs::copy(entry.path(), repo / "db");
  const std::string git = "git -C " + quoted(repo.string()) + " -c user.name=migsim -c user.email=migsim@invalid ";
  ASSERT_EQ(shell(git + "init -q && " + git + "add . && " + git + "commit -q -m base").code, 0);
  std::ofstream(repo / "db" / "V2__add_gift_note.sql", std::ios::app) << "-- reviewed\n";            // changed
  std::ofstream(repo / "db" / "V11__add_priority.sql") << "ALTER TABLE orders ADD COLUMN priority int;\n";  // new
  CliResult r = testing::run_cli(fast({"estimate", "--dsn", g_server->dsn(), "--migration", (repo / "db").string(),
                                       "--since", "HEAD", "--format", "json"}));
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("since"), "HEAD");
  ASSERT_EQ(j.at("migrations").size(), 2u) << r.out;
  EXPECT_EQ(fs::path(j.at("migrations")[0].at("migration").at("file").get<std::string>()).filename(), "V2__add_gift_note.sql");
  EXPECT_EQ(fs::path(j.at("migrations")[1].at("migration").at("file").get<std::string>()).filename(), "V11__add_priority.sql");

  ASSERT_EQ(shell(git + "add . && " + git + "commit -q -m more").code, 0);
  r = testing::run_cli(fast({"estimate", "--dsn", g_server->dsn(), "--migration", (repo / "db").string(), "--since",
                             "HEAD", "--format", "text"}));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("no migration changed since HEAD"), std::string::npos) << r.out;

  r = testing::run_cli(fast({"estimate", "--dsn", g_server->dsn(), "--migration", (repo / "db").string(), "--since",
                             "no-such-revision"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--since no-such-revision: git diff failed"), std::string::npos) << r.err;
  r = testing::run_cli(fast({"estimate", "--dsn", g_server->dsn(), "--migration", kMigrations + "dumps/alembic.sql",
                             "--since", "HEAD"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--since needs --migration to be a folder"), std::string::npos) << r.err;
}

TEST(Migrations, TheGateExitCodeForEachFailOnLevel) {
  // The folder's VALIDATE takes tens of milliseconds: above a 1 ms warning threshold, below 1 h.
  const std::string folder = kMigrations + "flyway";
  auto code = [&](const std::vector<std::string>& gate) {
    std::vector<std::string> args = {"estimate", "--dsn", g_server->dsn(), "--migration", folder, "--warn", "1ms"};
    args.insert(args.end(), gate.begin(), gate.end());
    const CliResult r = testing::run_cli(fast(args));
    return r.code;
  };
  EXPECT_EQ(code({"--fail-on", "never"}), 0);
  EXPECT_EQ(code({"--fail-on", "warning"}), 1);
  EXPECT_EQ(code({"--fail-on", "critical"}), 0);
  EXPECT_EQ(code({}), 0);  // critical is the default
  EXPECT_EQ(code({"--critical", "2ms", "--fail-on", "critical"}), 1);
  EXPECT_EQ(code({"--fail-on", "sometimes"}), 2);
}

TEST(Migrations, EveryFormatAtOnceWithASimulationEachCheckedByItsValidator) {
  const fs::path dir = fs::path(::testing::TempDir()) / "migsim_formats";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string f = dir.string() + "/";
  const CliResult r = testing::run_cli(fast(
      {"estimate", "--dsn", g_server->dsn(), "--migration", kMigrations + "flyway", "--traffic", kTraffic, "--format",
       "text,json:" + f + "r.json,markdown:" + f + "r.md,junit:" + f + "r.xml,html:" + f + "r.html"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("traffic   "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("all migrations"), std::string::npos) << r.out;
  const std::string json = testing::read_file(f + "r.json");
  EXPECT_EQ(testing::schema_violations("estimate_set", json), "");
  const nlohmann::json j = nlohmann::json::parse(json);
  EXPECT_GT(j.at("migrations")[2].at("simulation").at("queries").get<long long>(), 0);
  EXPECT_NE(testing::read_file(f + "r.md").find("Simulated traffic"), std::string::npos);
  const Shell xml = shell("xmllint --noout --schema " + quoted(std::string(MIGSIM_SOURCE_DIR) + "/tests/tools/junit.xsd") +
                          " " + quoted(f + "r.xml"));
  EXPECT_EQ(xml.code, 0) << xml.out;
  const Shell html = shell("/usr/bin/python3 " + quoted(std::string(MIGSIM_SOURCE_DIR) + "/tests/tools/check_html.py") +
                           " --min-svg 5 --expect-class queue-depth " + quoted(f + "r.html"));
  EXPECT_EQ(html.code, 0) << html.out;
}

TEST(Terminal, ColourAndAProgressBarOnATtyNoColourWithNoColor) {
  const std::string v2 = kMigrations + "flyway/V2__add_gift_note.sql";
  const std::string command = fmt::format("{} estimate --dsn {} --migration {} --repeats 2 --max-slice-rows 5000",
                                          MIGSIM_BINARY, quoted(g_server->dsn()), quoted(v2));
  // `script` gives the command a pseudo-terminal for stdout and stderr.
  const Shell tty = shell("env -u NO_COLOR script -qefc " + quoted(command) + " /dev/null");
  ASSERT_EQ(tty.code, 0) << tty.out;
  EXPECT_NE(tty.out.find("\x1b[32mok\x1b[0m"), std::string::npos) << tty.out;  // the verdict in green
  EXPECT_NE(tty.out.find("\r\x1b[K"), std::string::npos) << tty.out;            // the bar redrawn in place
  // The sizes take turns: run 2 goes from the largest slice down, so the smallest's is the last.
  EXPECT_NE(tty.out.find("] 100 % slice 1/3: run 2/2"), std::string::npos) << tty.out;

  const Shell no_colour = shell("NO_COLOR=1 script -qefc " + quoted(command) + " /dev/null");
  ASSERT_EQ(no_colour.code, 0) << no_colour.out;
  EXPECT_EQ(no_colour.out.find("\x1b[3"), std::string::npos) << no_colour.out;
  EXPECT_NE(no_colour.out.find("verdict   ok"), std::string::npos) << no_colour.out;

  const Shell pipe = shell("(" + command + ") 2>&1 | cat");
  ASSERT_EQ(pipe.code, 0) << pipe.out;
  EXPECT_EQ(pipe.out.find('\x1b'), std::string::npos) << "colour or a bar into a pipe: " << pipe.out;
  // Every slice is copied before the first run; then run 1 of each size, smallest first, and run 2
  // from the largest down.
  std::vector<size_t> at{pipe.out.rfind("rows copied in")};
  for (const char* line : {"slice 1/3: run 1/2", "slice 2/3: run 1/2", "slice 3/3: run 1/2",
                           "slice 3/3: run 2/2", "slice 2/3: run 2/2", "slice 1/3: run 2/2"}) {
    at.push_back(pipe.out.find(line));
    ASSERT_NE(at.back(), std::string::npos) << line << " in " << pipe.out;
  }
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end())) << pipe.out;
}

}  // namespace
}  // namespace migsim
