// The recommendation of `migsim compare`.

#include <algorithm>

#include <fmt/format.h>

#include "reports/estimate_report.h"
#include "reports/format.h"
#include "reports/gate.h"

namespace migsim::reports {
namespace {

std::string describe(const StrategyResult& s, double budget_ms) {
  std::string what;
  if (!s.blocking_mode) {
    what = "takes no lock the traffic waits for";
  } else if (s.blocking_hold_seconds * 1e3 <= budget_ms) {
    what = fmt::format("holds {} for at most {} (budget {})", sim::lock_mode_name(*s.blocking_mode),
                       human_seconds(s.blocking_hold_seconds), human_seconds(budget_ms / 1e3));
  } else {
    what = fmt::format("holds {} for {}", sim::lock_mode_name(*s.blocking_mode), human_seconds(s.blocking_hold_seconds));
  }
  if (s.simulated) {
    what += fmt::format(", which as written blocks {} queries (p99 wait {}{}{})", grouped(s.blocked_queries),
                        human_seconds(s.worst_p99_wait_ms / 1e3), s.pool_exhausted ? ", pool exhausted" : "",
                        s.migration_gave_up ? ", the migration gives up" : "");
    if (s.needs_lock_timeout) what += " unless its locks are taken with the lock_timeout and retries shown per phase";
  }
  return what;
}

}  // namespace

void recommend(Comparison& c, const std::vector<sim::LockMode>& traffic_modes) {
  auto blocks = [&](sim::LockMode held) {
    if (traffic_modes.empty()) return sim::conflicts(sim::LockMode::RowExclusive, held);
    return std::any_of(traffic_modes.begin(), traffic_modes.end(), [&](sim::LockMode t) { return sim::conflicts(t, held); });
  };
  for (StrategyResult& s : c.strategies) {
    s.total_seconds = s.total_low_seconds = s.total_high_seconds = 0;
    s.max_lock_hold_seconds.clear();
    s.blocking_hold_seconds = 0;
    s.blocking_mode.reset();
    s.simulated = s.pool_exhausted = s.migration_gave_up = s.needs_lock_timeout = false;
    s.blocked_queries = 0;
    s.worst_p99_wait_ms = 0;
    s.deploys = static_cast<int>(std::count_if(s.phases.begin(), s.phases.end(), [](const PhaseResult& p) { return !p.same_deploy; }));
    s.deploys = std::max(s.deploys, 1);
    for (PhaseResult& p : s.phases) {
      if (!p.report) continue;
      const EstimateReport& r = *p.report;
      s.total_seconds += r.total_seconds;
      s.total_low_seconds += r.total_low_seconds;
      s.total_high_seconds += r.total_high_seconds;
      for (const auto& [mode, seconds] : r.max_lock_hold_seconds) {
        s.max_lock_hold_seconds[mode] = std::max(s.max_lock_hold_seconds[mode], seconds);
      }
      const std::string target = r.table.schema + "." + r.table.name;
      p.blocking_hold_seconds = 0;
      p.blocking_mode.reset();
      for (const LockHoldEstimate& h : r.lock_holds) {
        if (h.relation != target || !blocks(h.mode)) continue;
        if (!p.blocking_mode || h.seconds > p.blocking_hold_seconds) {
          p.blocking_hold_seconds = h.seconds;
          p.blocking_mode = h.mode;
        }
      }
      if (p.blocking_mode && (!s.blocking_mode || p.blocking_hold_seconds > s.blocking_hold_seconds)) {
        s.blocking_hold_seconds = p.blocking_hold_seconds;
        s.blocking_mode = p.blocking_mode;
      }
      p.safe = p.blocking_hold_seconds * 1e3 <= c.target_p99_ms;
      p.needs_lock_timeout = false;
      if (r.simulation) {
        const sim::SimulationResult& sim = r.simulation->result;
        s.simulated = true;
        s.blocked_queries += sim.blocked_queries;
        s.worst_p99_wait_ms = std::max(s.worst_p99_wait_ms, sim.wait.p99_ms);
        s.pool_exhausted = s.pool_exhausted || sim.pool_exhausted_at_s.has_value();
        s.migration_gave_up = s.migration_gave_up || sim.migration_failed;
        p.safe = sim.wait.p99_ms <= c.target_p99_ms && !sim.pool_exhausted_at_s && !sim.migration_failed;
        // Not as written, but with a lock_timeout and retries the simulator found: safe, if run that way.
        p.needs_lock_timeout = !p.safe && r.simulation->advice.found;
        p.safe = p.safe || p.needs_lock_timeout;
        s.needs_lock_timeout = s.needs_lock_timeout || p.needs_lock_timeout;
      }
    }
    s.verdict = verdict_for(s.total_seconds, c.thresholds);
    s.safe = std::all_of(s.phases.begin(), s.phases.end(), [](const PhaseResult& p) { return p.safe; });
  }
  c.recommended.clear();
  c.reason.clear();
  if (c.strategies.empty()) return;
  const bool any_safe = std::any_of(c.strategies.begin(), c.strategies.end(), [](const auto& s) { return s.safe; });
  auto better = [&](const StrategyResult& a, const StrategyResult& b) {
    if (any_safe) {
      if (a.safe != b.safe) return a.safe;
      if (a.deploys != b.deploys) return a.deploys < b.deploys;
      return a.total_seconds < b.total_seconds;
    }
    if (a.blocking_hold_seconds != b.blocking_hold_seconds) return a.blocking_hold_seconds < b.blocking_hold_seconds;
    return a.total_seconds < b.total_seconds;
  };
  const StrategyResult& best = *std::min_element(c.strategies.begin(), c.strategies.end(), better);
  c.recommended = best.name;
  c.verdict = best.verdict;
  const std::string budget = human_seconds(c.target_p99_ms / 1e3);
  c.reason = fmt::format("{} {}, in {} deploy{} and {} in all", best.name, describe(best, c.target_p99_ms), best.deploys,
                         best.deploys == 1 ? "" : "s", human_seconds(best.total_seconds));
  c.reason += any_safe ? fmt::format("; it keeps the traffic within its {} budget", budget)
                       : fmt::format("; no strategy keeps the traffic within its {} budget, and this one blocks it the "
                                     "least",
                                     budget);
  for (const StrategyResult& s : c.strategies) {
    if (&s == &best) continue;
    if (!s.safe) {
      c.reason += fmt::format(". {} {}", s.name, describe(s, c.target_p99_ms));
    } else {
      c.reason += fmt::format(". {} is safe too but needs {} deploy{} and {}", s.name, s.deploys,
                              s.deploys == 1 ? "" : "s", human_seconds(s.total_seconds));
    }
  }
}

}  // namespace migsim::reports
