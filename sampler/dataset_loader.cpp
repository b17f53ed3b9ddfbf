#include "sampler/dataset_loader.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "sampler/connection.h"

namespace migsim::sampler {

void load_dataset(const std::string& dsn, const GeneratorScript& script, const std::string& table, long long rows,
                  const ProgressFn& progress) {
  using Clock = std::chrono::steady_clock;
  detail::Connection conn(dsn);
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  detail::guarded("creating the dataset's table", [&] {
    pqxx::work tx(conn.raw());
    tx.exec(script.setup_sql);
    tx.commit();
  });
  constexpr long long kBatch = 100'000;
  const auto start = Clock::now();
  detail::guarded("generating rows", [&] {
    pqxx::nontransaction(conn.raw()).exec("SELECT setseed(0.42)");
    for (long long first = 1; first <= rows; first += kBatch) {
      throw_if_interrupted();
      const long long last = std::min(rows, first + kBatch - 1);
      pqxx::work tx(conn.raw());
      tx.exec_params(script.batch_sql, first, last);
      tx.commit();
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const double remaining = elapsed / static_cast<double>(last) * static_cast<double>(rows - last);
      if (progress) {
        progress({fmt::format("loading {}: {}/{} rows ({:.0f} %), {:.1f} s elapsed, about {:.0f} s left", table, last,
                              rows, 100.0 * static_cast<double>(last) / static_cast<double>(rows), elapsed, remaining),
                  static_cast<double>(last) / static_cast<double>(rows), remaining});
      }
    }
  });
  say(fmt::format("loading {}: building secondary indexes", table));
  detail::guarded("building the dataset's indexes", [&] {
    pqxx::work tx(conn.raw());
    tx.exec(script.finish_sql);
    tx.commit();
  });
  say(fmt::format("loading {}: VACUUM (ANALYZE)", table));
  detail::guarded("vacuuming the dataset", [&] {
    pqxx::nontransaction tx(conn.raw());
    tx.exec("VACUUM (ANALYZE) " + tx.quote_name(table));
  });
  say(fmt::format("loaded {} rows into {} in {:.1f} s", rows, table,
                  std::chrono::duration<double>(Clock::now() - start).count()));
}

}  // namespace migsim::sampler

namespace migsim::sampler {

std::vector<double> run_in_place(const std::string& dsn, const migration::Migration& migration) {
  using Clock = std::chrono::steady_clock;
  detail::Connection conn(dsn);
  std::vector<double> seconds;
  for (const migration::Statement& st : migration.statements) {
    throw_if_interrupted();
    if (st.is_transaction_control) {
      seconds.push_back(0);
      continue;
    }
    detail::guarded(migration::location(migration, st), [&] {
      const auto t0 = Clock::now();
      if (st.in_transaction_block_allowed) {
        pqxx::work tx(conn.raw());
        tx.exec(st.sql);
        tx.commit();
      } else {
        pqxx::nontransaction(conn.raw()).exec(st.sql);
      }
      seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    });
  }
  return seconds;
}

}  // namespace migsim::sampler
