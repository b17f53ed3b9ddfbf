#pragma once
// A throwaway PostgreSQL 15 server for the demo and the test harness:
// initdb into a fresh temporary directory, a private port and socket
// directory, started with pg_ctl and stopped (by its own data directory's
// postmaster.pid) and deleted when the object is destroyed, also during
// unwinding after an error or an interrupt.

#include <memory>
#include <string>

#include "sampler/sampler.h"

namespace migsim::sampler {

struct LocalServerOptions {
  std::string bin_dir;                       // empty: $MIGSIM_PG_BIN, else /usr/lib/postgresql/15/bin
  std::string shared_buffers = "256MB";
  std::string maintenance_work_mem = "64MB";
  ProgressFn progress;
};

class LocalServer {
 public:
  // Starts the server. As root, the server's processes run as the OS user
  // `postgres` (PostgreSQL refuses to run as root). Throws DatabaseError with
  // the server's log when it cannot start, Interrupted on Ctrl-C.
  static std::unique_ptr<LocalServer> start(const LocalServerOptions& options);

  ~LocalServer();  // stop() and delete the directory; never throws
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // libpq connection string for the superuser `postgres`, database `postgres`.
  const std::string& dsn() const { return dsn_; }
  const std::string& directory() const { return dir_; }
  int port() const { return port_; }

  // Stops the server (fast shutdown) and removes its directory. Idempotent.
  void stop();

 private:
  LocalServer() = default;
  LocalServerOptions options_;
  std::string bin_dir_;
  std::string dir_;
  std::string run_as_;
  std::string dsn_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace migsim::sampler
