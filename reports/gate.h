#pragma once
// The release gate: a verdict from the predicted time, and the exit code a CI
// pipeline acts on (DESIGN.md: 0 passed, 1 gate failed).

#include <string_view>
#include <vector>

#include "estimators/forecast.h"
#include "sim/lock_mode.h"

namespace migsim::reports {

enum class Verdict { ok, warning, critical };

std::string_view verdict_name(Verdict verdict);

// ok up to the warning threshold, warning up to the critical one, critical above.
Verdict verdict_for(double predicted_seconds, const estimators::Thresholds& thresholds);

// The threshold a verdict is above: warning_seconds or critical_seconds (0 for ok).
double threshold_seconds(Verdict verdict, const estimators::Thresholds& thresholds);

// Which verdicts fail the gate.
enum class FailOn { never, warning, critical };

// 1 when `verdict` reaches `fail_on`, else 0.
int gate_exit_code(Verdict verdict, FailOn fail_on);

}  // namespace migsim::reports

namespace migsim::reports {

struct Comparison;

// Fills each strategy's totals, holds, blocking hold, simulation summary,
// safety and verdict from its phases, then picks the recommended strategy:
// a strategy is safe when each phase is: simulated, when it keeps the
// traffic's p99 wait within the budget without exhausting the pool or giving
// up, as written or with the lock_timeout and retries the simulator
// recommends (then needs_lock_timeout); not simulated, when it holds no lock
// that blocks writes longer than the budget. Among the safe
// ones the fewest deploys win, then the shortest total time; when none is
// safe, the shortest blocking hold. `reason` says why, with the figures.
void recommend(Comparison& comparison, const std::vector<sim::LockMode>& traffic_modes = {});

}  // namespace migsim::reports
