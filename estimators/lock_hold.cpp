#include "estimators/lock_hold.h"

#include <algorithm>

namespace migsim::estimators {

LockHolds lock_holds(const std::vector<TimedStatement>& statements) {
  LockHolds h;
  const size_t n = statements.size();
  h.per_statement.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const TimedStatement& s = statements[i];
    if (s.strongest_lock == 0) continue;
    double hold = s.seconds;
    if (s.transaction_block >= 0) {
      for (size_t j = i + 1; j < n && statements[j].transaction_block == s.transaction_block; ++j) {
        hold += statements[j].seconds;
      }
    }
    h.per_statement[i] = hold;
    double& m = h.max_by_mode[s.strongest_lock];
    m = std::max(m, hold);
  }
  return h;
}

}  // namespace migsim::estimators
