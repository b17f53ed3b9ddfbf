#pragma once
// Internal to reports/: the way back (estimate --down) in sentences, which
// each format lays out its own way.

#include <string>
#include <vector>

#include "reports/estimate_report.h"

namespace migsim::reports::detail {

// Empty when the report has no down migration; otherwise its estimate, what
// the round trip on the copy found, and each irreversible step, a sentence each.
std::vector<std::string> way_back_sentences(const EstimateReport& report);

// The way back failed its check: the schema is not back or the data is not intact.
bool way_back_failed(const EstimateReport& report);

}  // namespace migsim::reports::detail
