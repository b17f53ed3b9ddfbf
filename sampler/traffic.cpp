#include "sampler/traffic.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "sampler/connection.h"

namespace migsim::sampler {
namespace {

using detail::Connection;
using detail::guarded;

struct Counters {
  double at = 0;  // server clock, seconds
  double scans = 0;
  double rows_written = 0;
};

struct StatementCounter {
  std::string query;
  double calls = 0;
  double mean_ms = 0;
  double stddev_ms = 0;
};

Counters read_counters(Connection& c, long long oid) {
  pqxx::work tx(c.raw());
  tx.exec("SELECT pg_stat_clear_snapshot()");
  const pqxx::row r = tx.exec_params1(
      "SELECT extract(epoch FROM clock_timestamp())::float8, (seq_scan + coalesce(idx_scan, 0))::float8, "
      "(n_tup_ins + n_tup_upd + n_tup_del)::float8 FROM pg_stat_user_tables WHERE relid = $1::oid",
      std::to_string(oid));
  tx.commit();
  return {r[0].as<double>(), r[1].as<double>(), r[2].as<double>()};
}

std::map<std::string, StatementCounter> read_statements(Connection& c, const std::string& table) {
  std::map<std::string, StatementCounter> out;
  pqxx::work tx(c.raw());
  tx.exec("SELECT pg_stat_clear_snapshot()");
  // Statements whose text names the table as a word: a heuristic, said in a note.
  for (const pqxx::row& r : tx.exec_params(
           "SELECT queryid::text, query, calls::float8, mean_exec_time, stddev_exec_time FROM pg_stat_statements "
           "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
           "AND query ~* ('\\m' || $1 || '\\M') AND query !~* '^\\s*(EXPLAIN|ALTER|CREATE|DROP|VACUUM|ANALYZE)'",
           table)) {
    out[r[0].as<std::string>()] = {r[1].as<std::string>(), r[2].as<double>(), r[3].as<double>(), r[4].as<double>()};
  }
  tx.commit();
  return out;
}

sim::LockMode lock_of(const std::string& query) {
  std::string q;
  for (char ch : query) q += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const size_t start = q.find_first_not_of(" \t\n(");
  const std::string head = start == std::string::npos ? "" : q.substr(start, 6);
  if (head == "INSERT" || head == "UPDATE" || head == "DELETE" || head.rfind("MERGE", 0) == 0 ||
      head.rfind("COPY", 0) == 0) {
    return sim::LockMode::RowExclusive;
  }
  if (q.find(" FOR UPDATE") != std::string::npos || q.find(" FOR SHARE") != std::string::npos ||
      q.find(" FOR NO KEY UPDATE") != std::string::npos || q.find(" FOR KEY SHARE") != std::string::npos) {
    return sim::LockMode::RowShare;
  }
  return sim::LockMode::AccessShare;
}

std::string one_line(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out.size() > max ? out.substr(0, max - 3) + "..." : out;
}

}  // namespace

TrafficMeasurement measure_traffic(const std::string& dsn, const std::string& schema, const std::string& table,
                                   double interval_s, const ProgressFn& progress) {
  TrafficMeasurement m;
  m.interval_s = interval_s;
  Connection c(dsn);
  const std::string display = schema.empty() ? table : schema + "." + table;
  long long oid = 0;
  bool statements = false;
  guarded(fmt::format("looking up {}", display), [&] {
    pqxx::read_transaction tx(c.raw());
    const std::string name = schema.empty() ? tx.quote_name(table) : tx.quote_name(schema) + "." + tx.quote_name(table);
    const pqxx::row r = tx.exec_params1(
        "SELECT to_regclass($1)::oid::bigint, n.nspname, c.relname FROM (SELECT 1) x "
        "LEFT JOIN pg_class c ON c.oid = to_regclass($1) LEFT JOIN pg_namespace n ON n.oid = c.relnamespace",
        name);
    if (r[0].is_null()) throw InputError(fmt::format("table {} does not exist (looked up as {})", display, name));
    oid = r[0].as<long long>();
    m.schema = r[1].as<std::string>();
    m.table = r[2].as<std::string>();
    statements = tx.exec1("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")[0].as<int>() > 0;
    m.profile.pool_size =
        tx.exec1("SELECT current_setting('max_connections')::int - "
                 "current_setting('superuser_reserved_connections')::int")[0]
            .as<int>();
  });
  m.notes.push_back(fmt::format("pool_size is the server's max_connections less the reserved ones ({}); set it to "
                                "the application's connection pool size",
                                m.profile.pool_size));

  const auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  std::map<std::string, StatementCounter> before_statements;
  const Counters before = guarded("reading table statistics", [&] { return read_counters(c, oid); });
  if (statements) {
    before_statements = guarded("reading pg_stat_statements", [&] { return read_statements(c, m.table); });
  }
  say(fmt::format("measuring traffic on {}.{} for {:.0f} s", m.schema, m.table, interval_s));
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    throw_if_interrupted();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= interval_s) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(std::min(1000.0, (interval_s - elapsed) * 1000) + 1)));
    const int left = static_cast<int>(std::ceil(interval_s - elapsed - 1));
    if (left > 0 && left % 10 == 0 && progress) {
      progress({fmt::format("measuring traffic: {} s left", left), (interval_s - left) / interval_s, double(left)});
    }
  }
  const Counters after = guarded("reading table statistics", [&] { return read_counters(c, oid); });
  const double dt = std::max(after.at - before.at, 1e-3);
  m.interval_s = dt;

  if (statements) {
    m.from_pg_stat_statements = true;
    const auto after_statements = guarded("reading pg_stat_statements", [&] { return read_statements(c, m.table); });
    for (const auto& [id, s] : after_statements) {
      const double calls = s.calls - (before_statements.count(id) ? before_statements.at(id).calls : 0);
      if (calls <= 0) continue;
      sim::TrafficClass k;
      k.name = one_line(s.query, 80);
      k.lock_mode = lock_of(s.query);
      k.rate_per_s = calls / dt;
      k.service.mean_ms = s.mean_ms;
      if (s.stddev_ms > 0) {
        k.service.dist = "lognormal";
        k.service.p99_ms = s.mean_ms + 2.33 * s.stddev_ms;
      } else {
        k.service.p99_ms = s.mean_ms;
      }
      m.profile.classes.push_back(k);
    }
    m.notes.push_back("classes are pg_stat_statements entries whose text names the table; their times are the "
                      "statements' mean and (mean + 2.33 standard deviations) as p99, since the server's start or "
                      "the last reset");
  } else {
    sim::TrafficClass reads;
    reads.name = "reads";
    reads.lock_mode = sim::LockMode::AccessShare;
    reads.rate_per_s = (after.scans - before.scans) / dt;
    sim::TrafficClass writes;
    writes.name = "writes";
    writes.lock_mode = sim::LockMode::RowExclusive;
    writes.rate_per_s = (after.rows_written - before.rows_written) / dt;
    m.profile.classes = {reads, writes};
    m.notes.push_back("pg_stat_statements is not installed: reads are table scans per second (seq + index; the "
                      "scans UPDATE and DELETE make to find their rows are counted too) and writes are rows "
                      "inserted, updated and deleted per second; service times are not measured and are set to "
                      "2 ms: edit them, or install pg_stat_statements");
  }
  guarded("looking for long transactions", [&] {
    pqxx::read_transaction tx(c.raw());
    for (const pqxx::row& r : tx.exec_params(
             "SELECT l.mode, extract(epoch FROM now() - a.xact_start)::float8 FROM pg_locks l "
             "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'relation' AND l.relation = $1::oid "
             "AND l.granted AND a.pid <> pg_backend_pid() AND a.xact_start < now() - interval '1 second'",
             std::to_string(oid))) {
      if (auto mode = sim::parse_lock_mode(r[0].as<std::string>())) {
        m.profile.long_transactions.push_back({0, r[1].as<double>(), *mode});
      }
    }
  });
  if (!m.profile.long_transactions.empty()) {
    m.notes.push_back("long_transactions hold their lock for at least duration_s (how long they had run when "
                      "measured); they may run longer");
  }
  return m;
}

}  // namespace migsim::sampler
