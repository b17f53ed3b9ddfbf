#pragma once
// How long each lock is held: from the statement that takes it to the commit
// that releases it. Lock modes are PostgreSQL's LOCKMODE numbers (1..8), so
// this module needs nothing but plain values.

#include <map>
#include <vector>

namespace migsim::estimators {

struct TimedStatement {
  double seconds = 0;         // predicted duration
  int strongest_lock = 0;     // 0: takes no table lock
  int transaction_block = -1; // statements of one explicit BEGIN..COMMIT share an id; -1: own transaction
};

struct LockHolds {
  std::vector<double> per_statement;     // hold time of each statement's locks
  std::map<int, double> max_by_mode;     // longest hold of each mode taken
};

// A statement in its own transaction holds its locks for its own duration; in
// an explicit transaction block, until the block's last statement ends.
LockHolds lock_holds(const std::vector<TimedStatement>& statements);

}  // namespace migsim::estimators
