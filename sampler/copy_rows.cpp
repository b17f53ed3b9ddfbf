#include "sampler/copy_rows.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "sampler/connection.h"
#include "sampler/errors.h"
#include "sampler/interrupt.h"

namespace migsim::sampler::detail {
namespace {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using Result = std::unique_ptr<PGresult, ResultClearer>;

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

[[noreturn]] void fail(PGconn* c, const PGresult* r, const std::string& what) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (interrupt_requested() && (state == nullptr || std::string(state) == "57014")) throw Interrupted();
  const std::string msg = r != nullptr && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(c);
  throw DatabaseError(fmt::format("{}: {}", what, trimmed(msg)));
}

void exec(PGconn* c, const std::string& sql, ExecStatusType expected, const std::string& what) {
  Result r(PQexec(c, sql.c_str()));
  if (!r || PQresultStatus(r.get()) != expected) fail(c, r.get(), what);
}

Conn open(const std::string& dsn) {
  Conn c(PQconnectdb(dsn.c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    throw DatabaseError(fmt::format("cannot connect to PostgreSQL: {}", trimmed(PQerrorMessage(c.get()))));
  }
  exec(c.get(), kApplicationNameSql, PGRES_COMMAND_OK, "setting up the connection");
  return c;
}

// Reads the results left after a COPY and fails on an error among them.
// Returns the rows the command reports ("COPY n").
long long finish_command(PGconn* c, const std::string& what) {
  long long rows = 0;
  while (Result r{PQgetResult(c)}) {
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(c, r.get(), what);
    rows = std::atoll(PQcmdTuples(r.get()));
  }
  return rows;
}

}  // namespace

long long copy_rows(const CopyRequest& req) {
  Conn src = open(req.dsn);
  Conn dst = open(req.target_dsn);
  CancelRegistration cancel_src(req.dsn, PQbackendPID(src.get()));
  CancelRegistration cancel_dst(req.target_dsn, PQbackendPID(dst.get()));

  const std::string reading = "reading the source table";
  const std::string writing = "writing the scratch copy";
  exec(src.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK, reading);
  exec(src.get(), fmt::format("SET LOCAL statement_timeout = {}", req.statement_timeout_ms), PGRES_COMMAND_OK, reading);
  exec(src.get(), fmt::format("SET LOCAL lock_timeout = {}", req.lock_timeout_ms), PGRES_COMMAND_OK, reading);
  exec(dst.get(), "BEGIN", PGRES_COMMAND_OK, writing);
  const std::string format = req.binary ? " (FORMAT binary)" : "";
  exec(src.get(), "COPY (" + req.select_sql + ") TO STDOUT" + format, PGRES_COPY_OUT, reading);
  exec(dst.get(), "COPY " + req.target_table + " (" + req.column_list + ") FROM STDIN" + format, PGRES_COPY_IN,
       writing);

  long long chunks = 0;  // a row each (in binary, the header comes with the first and the trailer alone)
  for (;;) {
    char* buffer = nullptr;
    const int n = PQgetCopyData(src.get(), &buffer, 0);
    if (n == -1) break;  // done
    if (n < 0) fail(src.get(), nullptr, reading);
    const int put = PQputCopyData(dst.get(), buffer, n);
    PQfreemem(buffer);
    if (put != 1) fail(dst.get(), nullptr, writing);
    ++chunks;
    if ((chunks & 0x3FF) == 0 && interrupt_requested()) {
      PQputCopyEnd(dst.get(), "interrupted");
      throw Interrupted();
    }
  }
  finish_command(src.get(), reading);
  if (PQputCopyEnd(dst.get(), nullptr) != 1) fail(dst.get(), nullptr, writing);
  const long long rows = finish_command(dst.get(), writing);
  exec(src.get(), "COMMIT", PGRES_COMMAND_OK, reading);
  exec(dst.get(), "COMMIT", PGRES_COMMAND_OK, writing);
  return rows;
}

}  // namespace migsim::sampler::detail
