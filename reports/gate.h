#pragma once
// The release gate: a verdict from the predicted time, and the exit code a CI
// pipeline acts on (DESIGN.md: 0 passed, 1 gate failed).

#include <string_view>

#include "estimators/forecast.h"

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
