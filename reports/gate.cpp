#include "reports/gate.h"

namespace migsim::reports {

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok: return "ok";
    case Verdict::warning: return "warning";
    case Verdict::critical: return "critical";
  }
  return "ok";
}

Verdict verdict_for(double predicted_seconds, const estimators::Thresholds& thresholds) {
  if (predicted_seconds > thresholds.critical_seconds) return Verdict::critical;
  if (predicted_seconds > thresholds.warning_seconds) return Verdict::warning;
  return Verdict::ok;
}

double threshold_seconds(Verdict verdict, const estimators::Thresholds& thresholds) {
  return verdict == Verdict::critical ? thresholds.critical_seconds
         : verdict == Verdict::warning ? thresholds.warning_seconds
                                       : 0;
}

int gate_exit_code(Verdict verdict, FailOn fail_on) {
  switch (fail_on) {
    case FailOn::never: return 0;
    case FailOn::warning: return verdict == Verdict::ok ? 0 : 1;
    case FailOn::critical: return verdict == Verdict::critical ? 1 : 0;
  }
  return 0;
}

}  // namespace migsim::reports
