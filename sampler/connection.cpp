#include "sampler/connection.h"

#include <fmt/format.h>

namespace migsim::sampler::detail {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::unique_ptr<pqxx::connection> Connection::open(const std::string& dsn) {
  std::unique_ptr<pqxx::connection> c;
  try {
    c = std::make_unique<pqxx::connection>(dsn);
  } catch (const std::exception& e) {
    throw DatabaseError(fmt::format("cannot connect to PostgreSQL: {}", trimmed(e.what())));
  }
  try {
    // A DBA looking at pg_stat_activity sees who this is.
    pqxx::nontransaction(*c).exec(kApplicationNameSql);
  } catch (const std::exception& e) {
    throw DatabaseError(fmt::format("cannot set up the connection: {}", trimmed(e.what())));
  }
  return c;
}

Connection::Connection(const std::string& dsn)
    : conn_(open(dsn)), backend_pid_(conn_->backendpid()), cancel_(dsn, backend_pid_) {}

void rethrow_as_database_error(const std::string& what) {
  try {
    throw;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "57014" && interrupt_requested()) throw Interrupted();
    throw DatabaseError(fmt::format("{}: {}", what, trimmed(e.what())));
  } catch (const pqxx::broken_connection& e) {
    if (interrupt_requested()) throw Interrupted();
    throw DatabaseError(fmt::format("{}: lost the connection to the server: {}", what, trimmed(e.what())));
  } catch (const pqxx::failure& e) {
    if (interrupt_requested()) throw Interrupted();
    throw DatabaseError(fmt::format("{}: {}", what, trimmed(e.what())));
  }
}

std::string quote_qualified(pqxx::connection& c, const std::string& schema, const std::string& name) {
  return c.quote_name(schema) + "." + c.quote_name(name);
}

}  // namespace migsim::sampler::detail
