#pragma once
// Renderers of an EstimateReport. Each returns the whole document.

#include <string>

#include "reports/estimate_report.h"

namespace migsim::reports {

// For a terminal: aligned, plain text.
std::string render_text(const EstimateReport& report);

// DESIGN.md's JSON contract (schema_version 1), pretty-printed.
std::string render_json(const EstimateReport& report);

}  // namespace migsim::reports
