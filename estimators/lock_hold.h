#pragma once
// How long each lock is held: from the statement that takes it to the commit
// that releases it. Lock modes are PostgreSQL's LOCKMODE numbers (1..8), so
// this module needs nothing but plain values.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace migsim::estimators {

struct TimedStatement {
  double seconds = 0;         // predicted duration
  int strongest_lock = 0;     // 0: takes no table lock
  int transaction_block = -1; // statements of one explicit BEGIN..COMMIT share an id; -1: own transaction
  double low_seconds = -1;    // the duration's interval; negative: `seconds` for both
  double high_seconds = -1;
  std::vector<std::pair<std::string, int>> locks;  // (relation, mode) of every lock it takes
  // Set (not negative) when it holds its locks for less than its duration:
  // a batched backfill, one batch at a time. Then also its interval.
  double hold_seconds = -1;
  double hold_low_seconds = -1;
  double hold_high_seconds = -1;
};

// One lock on one relation, from the statement that first takes it to the
// end of that statement's transaction.
struct RelationHold {
  std::string relation;
  int mode = 0;
  double seconds = 0;
  double low_seconds = 0;   // from the statements' intervals: their bounds added (their errors move together)
  double high_seconds = 0;
  size_t first_statement = 0;
};

struct LockHolds {
  std::vector<double> per_statement;     // hold time of each statement's locks
  std::map<int, double> max_by_mode;     // longest hold of each mode taken
  // The longest hold of each (relation, mode), in the order they are first taken.
  std::vector<RelationHold> by_relation;
};

// A statement in its own transaction holds its locks for its own duration (a
// batched one, for one batch's: its hold_seconds); in
// an explicit transaction block, until the block's last statement ends (a lock
// taken again later in the same block is the same hold).
LockHolds lock_holds(const std::vector<TimedStatement>& statements);

}  // namespace migsim::estimators
