// Every data-driven case of tests/cases/ run on the real server: the lock
// modes migsim predicts must be the ones PostgreSQL takes (pg_locks of the
// statement's own backend), and "rewrite" must be exactly when the table gets
// a new relfilenode. Each case runs in a fresh database cloned from one built
// with tests/cases/fixture.sql.
#include <gtest/gtest.h>

#include "tests/test_files.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "migration/migration.h"
#include "sampler/local_server.h"

namespace migsim {

extern sampler::LocalServer* g_server;  // integration_test.cpp

namespace {

namespace fs = std::filesystem;
using migration::Effect;
using migration::Statement;

std::string read(const fs::path& p) { return testing::read_file(p.string()); }

std::string dsn_for(const std::string& db) {
  return fmt::format("host={} port={} user=postgres dbname={}", g_server->directory(), g_server->port(), db);
}

struct RelState {
  std::optional<long long> oid;
  std::optional<long long> filenode;
};

RelState state_of(pqxx::transaction_base& tx, const migration::RelationRef& r) {
  const std::string name = r.schema.empty() ? tx.quote_name(r.name) : tx.quote_name(r.schema) + "." + tx.quote_name(r.name);
  const pqxx::row row = tx.exec_params1(
      "SELECT to_regclass($1)::oid::bigint, pg_relation_filenode(to_regclass($1))::bigint", name);
  RelState s;
  if (!row[0].is_null()) s.oid = row[0].as<long long>();
  if (!row[1].is_null()) s.filenode = row[1].as<long long>();
  return s;
}

struct Tally {
  int cases = 0;
  int cases_matching = 0;
  int lock_checks = 0;
  int rewrite_checks = 0;
  int not_observable = 0;  // CONCURRENTLY, VACUUM: no transaction to read pg_locks in
  int effect_depends = 0;  // effect unknown statically: not compared
};

// Runs one statement and compares; returns the mismatches it found.
std::vector<std::string> check_statement(pqxx::connection& c, const Statement& st, Tally& tally) {
  std::vector<std::string> problems;
  std::vector<RelState> before;
  std::vector<RelState> after;
  std::map<long long, int> held;  // oid -> strongest mode number
  if (st.in_transaction_block_allowed) {
    pqxx::work tx(c);
    for (const auto& l : st.locks) before.push_back(state_of(tx, l.relation));
    tx.exec(st.sql);
    for (const pqxx::row& r : tx.exec("SELECT relation::bigint, mode FROM pg_locks WHERE pid = pg_backend_pid() "
                                      "AND locktype = 'relation' AND granted")) {
      const auto mode = sim::parse_lock_mode(r[1].as<std::string>());
      if (!mode) continue;
      int& m = held[r[0].as<long long>()];
      m = std::max(m, static_cast<int>(*mode));
    }
    for (const auto& l : st.locks) after.push_back(state_of(tx, l.relation));
    tx.commit();
  } else {
    {
      pqxx::read_transaction tx(c);
      for (const auto& l : st.locks) before.push_back(state_of(tx, l.relation));
    }
    pqxx::nontransaction(c).exec(st.sql);
    pqxx::read_transaction tx(c);
    for (const auto& l : st.locks) after.push_back(state_of(tx, l.relation));
    ++tally.not_observable;
  }

  for (size_t i = 0; i < st.locks.size(); ++i) {
    const auto& lock = st.locks[i];
    const std::optional<long long> oid = before[i].oid ? before[i].oid : after[i].oid;
    if (!st.in_transaction_block_allowed || !oid) continue;
    ++tally.lock_checks;
    const int server = held.count(*oid) ? held[*oid] : 0;
    if (server != static_cast<int>(lock.mode)) {
      problems.push_back(fmt::format("{}: migsim says {} on {}, the server took {}", st.kind,
                                     sim::lock_mode_name(lock.mode), lock.relation.name,
                                     server ? sim::lock_mode_name(static_cast<sim::LockMode>(server)) : "no lock"));
    }
  }
  // The statement's own table: the first relation it locks beyond reading.
  for (size_t i = 0; i < st.locks.size(); ++i) {
    if (st.locks[i].mode == sim::LockMode::AccessShare && st.locks.size() > 1) continue;
    if (!before[i].filenode || !after[i].filenode) break;
    const bool rewrote = *before[i].filenode != *after[i].filenode;
    if (st.effect == Effect::unknown) {
      ++tally.effect_depends;
      break;
    }
    ++tally.rewrite_checks;
    // TRUNCATE swaps in an empty relfilenode; REINDEX INDEX builds the index
    // into a new one (the table itself is not rewritten).
    const bool expected = st.effect == Effect::rewrite || st.kind == "TRUNCATE" || st.kind == "REINDEX INDEX";
    if (rewrote != expected) {
      problems.push_back(fmt::format("{}: migsim says effect {}, but the server {} {}", st.kind,
                                     migration::effect_name(st.effect), rewrote ? "rewrote" : "did not rewrite",
                                     st.locks[i].relation.name));
    }
    break;
  }
  return problems;
}

TEST(CasesOnTheServer, StaticLocksAndRewritesMatchWhatPostgresDoes) {
  const fs::path dir = MIGSIM_CASES_DIR;
  {
    pqxx::connection admin{g_server->dsn()};
    pqxx::nontransaction(admin).exec("CREATE DATABASE migsim_cases_fixture");
    pqxx::connection fixture{dsn_for("migsim_cases_fixture")};
    pqxx::nontransaction(fixture).exec(read(dir / "fixture.sql"));
  }
  Tally tally;
  std::vector<std::string> failures;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".sql" && e.path().filename() != "fixture.sql") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string name = file.stem().string();
    ++tally.cases;
    const migration::Migration m = migration::parse_migration(read(file), file.filename().string());
    pqxx::connection admin{g_server->dsn()};
    pqxx::nontransaction(admin).exec("CREATE DATABASE migsim_case TEMPLATE migsim_cases_fixture");
    std::vector<std::string> problems;
    try {
      pqxx::connection c{dsn_for("migsim_case")};
      for (const Statement& st : m.statements) {
        if (st.is_transaction_control) continue;
        for (std::string& p : check_statement(c, st, tally)) problems.push_back(fmt::format("{}:{}: {}", name, st.line, p));
      }
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("{}: the server rejected the case: {}", name, e.what()));
    }
    pqxx::nontransaction(admin).exec("DROP DATABASE migsim_case");
    if (problems.empty()) ++tally.cases_matching;
    failures.insert(failures.end(), problems.begin(), problems.end());
  }
  for (const std::string& f : failures) ADD_FAILURE() << f;
  std::printf("cases matching the server: %d / %d (lock modes compared: %d, rewrite compared: %d, "
              "statements outside a transaction: %d, effect depending on the catalog: %d)\n",
              tally.cases_matching, tally.cases, tally.lock_checks, tally.rewrite_checks, tally.not_observable,
              tally.effect_depends);
  EXPECT_GE(tally.cases, 80);
}

}  // namespace
}  // namespace migsim
