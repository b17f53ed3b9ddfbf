#include "estimators/lock_hold.h"

#include <algorithm>

namespace migsim::estimators {

LockHolds lock_holds(const std::vector<TimedStatement>& statements) {
  LockHolds h;
  const size_t n = statements.size();
  h.per_statement.assign(n, 0);
  // What a statement adds to a hold: its duration, or one batch's for a batched backfill.
  auto mid = [](const TimedStatement& s) { return s.hold_seconds >= 0 ? s.hold_seconds : s.seconds; };
  auto low = [&](const TimedStatement& s) {
    if (s.hold_seconds >= 0) return s.hold_low_seconds < 0 ? s.hold_seconds : s.hold_low_seconds;
    return s.low_seconds < 0 ? s.seconds : s.low_seconds;
  };
  auto high = [&](const TimedStatement& s) {
    if (s.hold_seconds >= 0) return s.hold_high_seconds < 0 ? s.hold_seconds : s.hold_high_seconds;
    return s.high_seconds < 0 ? s.seconds : s.high_seconds;
  };
  for (size_t i = 0; i < n; ++i) {
    const TimedStatement& s = statements[i];
    if (s.strongest_lock == 0 && s.locks.empty()) continue;
    // The hold runs to the end of the statement's transaction.
    size_t end = i;
    if (s.transaction_block >= 0) {
      while (end + 1 < n && statements[end + 1].transaction_block == s.transaction_block) ++end;
    }
    double hold = 0, hold_low = 0, hold_high = 0;
    for (size_t j = i; j <= end; ++j) {
      hold += mid(statements[j]);
      hold_low += low(statements[j]);
      hold_high += high(statements[j]);
    }
    h.per_statement[i] = hold;
    if (s.strongest_lock != 0) {
      double& m = h.max_by_mode[s.strongest_lock];
      m = std::max(m, hold);
    }
    for (const auto& [relation, mode] : s.locks) {
      // Taken earlier in the same block: already held since then.
      bool held = false;
      for (size_t j = i; j-- > 0 && s.transaction_block >= 0 && statements[j].transaction_block == s.transaction_block;) {
        for (const auto& l : statements[j].locks) held = held || (l.first == relation && l.second == mode);
      }
      if (held) continue;
      auto it = std::find_if(h.by_relation.begin(), h.by_relation.end(),
                             [&](const RelationHold& r) { return r.relation == relation && r.mode == mode; });
      if (it == h.by_relation.end()) {
        h.by_relation.push_back({relation, mode, hold, hold_low, hold_high, i});
      } else if (hold > it->seconds) {
        *it = {relation, mode, hold, hold_low, hold_high, it->first_statement};
      }
    }
  }
  return h;
}

}  // namespace migsim::estimators
