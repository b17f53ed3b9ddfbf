#pragma once
// Cooperative interruption of long server work (Ctrl-C, SIGTERM).
//
// The signal-handling thread calls request_interrupt(); it cancels every query
// in flight on a connection registered here (pg_cancel_backend from a fresh
// connection, never from a signal handler), and the work loops of sampler/
// notice interrupt_requested() and throw Interrupted, so that RAII cleanup
// (scratch schema, throwaway server) runs on the way out.

#include <string>

namespace migsim::sampler {

// Thread-safe. Idempotent.
void request_interrupt();

// Thread-safe.
bool interrupt_requested();

// Throws Interrupted if an interrupt was requested.
void throw_if_interrupted();

// While alive, queries of backend `backend_pid` reachable with `dsn` are
// cancelled by request_interrupt().
class CancelRegistration {
 public:
  CancelRegistration(std::string dsn, int backend_pid);
  ~CancelRegistration();
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;

 private:
  int id_;
};

}  // namespace migsim::sampler
