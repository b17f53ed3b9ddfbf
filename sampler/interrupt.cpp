#include "sampler/interrupt.h"

#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include <pqxx/pqxx>

#include "sampler/errors.h"

namespace migsim::sampler {
namespace {

std::atomic<bool> g_interrupted{false};
std::mutex g_mutex;
std::map<int, std::pair<std::string, int>> g_backends;  // registration id -> (dsn, backend pid)
int g_next_id = 0;

}  // namespace

void request_interrupt() {
  if (g_interrupted.exchange(true)) return;
  std::map<int, std::pair<std::string, int>> backends;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    backends = g_backends;
  }
  for (const auto& [id, target] : backends) {
    try {
      pqxx::connection c{target.first};
      pqxx::nontransaction tx{c};
      tx.exec_params("SELECT pg_cancel_backend($1)", target.second);
    } catch (const std::exception&) {
      // The server may be gone already; the work loop still sees the flag.
    }
  }
}

bool interrupt_requested() { return g_interrupted.load(); }

void throw_if_interrupted() {
  if (interrupt_requested()) throw Interrupted();
}

CancelRegistration::CancelRegistration(std::string dsn, int backend_pid) {
  std::lock_guard<std::mutex> lock(g_mutex);
  id_ = g_next_id++;
  g_backends[id_] = {std::move(dsn), backend_pid};
}

CancelRegistration::~CancelRegistration() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_backends.erase(id_);
}

}  // namespace migsim::sampler
