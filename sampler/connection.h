#pragma once
// Internal to sampler/: a libpqxx connection that can be cancelled by Ctrl-C,
// and translation of libpqxx exceptions into sampler's error types.

#include <string>
#include <utility>

#include <pqxx/pqxx>

#include "sampler/errors.h"
#include "sampler/interrupt.h"

namespace migsim::sampler::detail {

// Every connection migsim opens names itself, so that its sessions are
// recognisable in pg_stat_activity.
inline constexpr const char* kApplicationNameSql = "SET application_name = 'migsim'";

class Connection {
 public:
  // Connects now. Throws DatabaseError with libpq's message.
  explicit Connection(const std::string& dsn);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  pqxx::connection& raw() { return *conn_; }
  int backend_pid() const { return backend_pid_; }

 private:
  static std::unique_ptr<pqxx::connection> open(const std::string& dsn);
  std::unique_ptr<pqxx::connection> conn_;
  int backend_pid_;
  CancelRegistration cancel_;
};

// Rethrows the exception in flight as DatabaseError ("<what>: <server message>"),
// or as Interrupted when it is the cancellation Ctrl-C caused.
[[noreturn]] void rethrow_as_database_error(const std::string& what);

// Runs f(); any libpqxx failure becomes DatabaseError/Interrupted (see above).
template <typename F>
auto guarded(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return std::forward<F>(f)();
  } catch (const Interrupted&) {
    throw;
  } catch (const DatabaseError&) {
    throw;
  } catch (const InputError&) {
    throw;
  } catch (const UnsafeMigration&) {
    throw;
  } catch (...) {
    rethrow_as_database_error(what);
  }
}

// "schema"."name" quoted by the client library.
std::string quote_qualified(pqxx::connection& c, const std::string& schema, const std::string& name);

}  // namespace migsim::sampler::detail
