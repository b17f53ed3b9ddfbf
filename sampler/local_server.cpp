#include "sampler/local_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sampler/errors.h"
#include "sampler/interrupt.h"
#include "sampler/process.h"

namespace migsim::sampler {
namespace fs = std::filesystem;

namespace {

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 55432;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 55432;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string tail_of_file(const fs::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  std::string s = buf.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

void chown_to(const std::string& path, const std::string& user) {
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr || chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw DatabaseError(fmt::format("cannot give {} to the '{}' user: {}", path, user, std::strerror(errno)));
  }
}

}  // namespace

std::unique_ptr<LocalServer> LocalServer::start(const LocalServerOptions& options) {
  std::unique_ptr<LocalServer> server(new LocalServer());
  server->options_ = options;
  const char* env_bin = std::getenv("MIGSIM_PG_BIN");
  server->bin_dir_ = !options.bin_dir.empty() ? options.bin_dir
                     : env_bin != nullptr     ? env_bin
                                              : "/usr/lib/postgresql/15/bin";
  const std::string initdb = server->bin_dir_ + "/initdb";
  const std::string pg_ctl = server->bin_dir_ + "/pg_ctl";
  if (access(initdb.c_str(), X_OK) != 0 || access(pg_ctl.c_str(), X_OK) != 0) {
    throw DatabaseError(fmt::format("PostgreSQL 15 server programs not found in {} (install the postgresql-15 "
                                    "package, or set MIGSIM_PG_BIN)",
                                    server->bin_dir_));
  }
  if (geteuid() == 0) server->run_as_ = "postgres";

  // A short path: the Unix socket path must stay under 107 bytes.
  std::string templ = "/tmp/migsim-pg-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    throw DatabaseError(fmt::format("cannot create a temporary directory: {}", std::strerror(errno)));
  }
  server->dir_ = templ;
  if (!server->run_as_.empty()) chown_to(server->dir_, server->run_as_);
  const std::string data = server->dir_ + "/data";
  const std::string log = server->dir_ + "/server.log";
  auto say = [&](const std::string& s) {
    if (options.progress) options.progress(s);
  };

  say(fmt::format("starting a throwaway PostgreSQL server in {}", server->dir_));
  ProcessResult r = run_process({initdb, "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                                 "--locale=C.UTF-8", "--no-sync"},
                                server->run_as_);
  if (r.exit_code != 0) throw DatabaseError(fmt::format("initdb failed:\n{}", r.output));
  throw_if_interrupted();

  server->port_ = free_port();
  {
    std::ofstream conf(data + "/postgresql.conf", std::ios::app);
    conf << "\n# migsim throwaway server\n"
         << "port = " << server->port_ << "\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << server->dir_ << "'\n"
         << "shared_buffers = " << options.shared_buffers << "\n"
         << "maintenance_work_mem = " << options.maintenance_work_mem << "\n"
         << "fsync = on\n";
  }
  r = run_process({pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o", "-c logging_collector=off", "start"},
                  server->run_as_);
  if (r.exit_code != 0) {
    throw DatabaseError(fmt::format("the PostgreSQL server did not start:\n{}\n--- {} ---\n{}", r.output, log,
                                    tail_of_file(log, 4000)));
  }
  server->running_ = true;
  server->dsn_ = fmt::format("host={} port={} user=postgres dbname=postgres", server->dir_, server->port_);
  say(fmt::format("server ready on port {} (socket directory {})", server->port_, server->dir_));
  throw_if_interrupted();
  return server;
}

void LocalServer::stop() {
  if (running_) {
    const std::string data = dir_ + "/data";
    ProcessResult r = run_process({bin_dir_ + "/pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "60", "stop"}, run_as_);
    if (r.exit_code != 0) {
      // Fall back to the postmaster's own PID, and only that one.
      std::ifstream pidfile(data + "/postmaster.pid");
      long pid = 0;
      if (pidfile >> pid && pid > 0) {
        kill(static_cast<pid_t>(pid), SIGQUIT);
        for (int i = 0; i < 100 && kill(static_cast<pid_t>(pid), 0) == 0; ++i) usleep(100'000);
      }
    }
    running_ = false;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

LocalServer::~LocalServer() {
  try {
    stop();
  } catch (...) {
    // A destructor must not throw; stop() already tried its best.
  }
}

}  // namespace migsim::sampler
