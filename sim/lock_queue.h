#pragma once
// One lockable object (the table) with PostgreSQL's grant and queue rules
// (lock.c / proc.c, reference §3.1): a request is granted at once only if it
// conflicts neither with locks other transactions hold nor with any earlier
// waiter; a requester that already holds a lock conflicting with a waiter is
// queued just ahead of it (and granted if nothing before that point
// conflicts); a release wakes waiters front to back.

#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

#include "sim/lock_mode.h"

namespace migsim::sim {

using TxId = std::uint64_t;

class LockQueue {
 public:
  // True if granted now; otherwise the request waits in the queue.
  bool request(TxId tx, LockMode mode);

  // Releases every lock `tx` holds (commit/abort) and grants whatever can now
  // be granted, in queue order; returns those transactions.
  std::vector<TxId> release_all(TxId tx);

  // Withdraws a waiting request (lock_timeout, statement_timeout, cancel) and
  // grants whatever that unblocks.
  std::vector<TxId> cancel(TxId tx);

  int waiting() const { return static_cast<int>(queue_.size()); }
  bool holds(TxId tx) const { return held_.count(tx) != 0; }

 private:
  struct Waiter {
    TxId tx;
    LockMode mode;
  };
  int others_mask(TxId tx) const;  // modes granted to other transactions
  std::vector<TxId> wake();

  std::unordered_map<TxId, int> held_;  // tx -> bitmask of granted modes
  std::unordered_map<int, int> mode_count_;  // mode -> transactions holding it
  std::list<Waiter> queue_;
};

}  // namespace migsim::sim
