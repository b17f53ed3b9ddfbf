#pragma once
// Renderers of an EstimateReport. Each returns the whole document.

#include <string>

#include "reports/estimate_report.h"

namespace migsim::reports {

// For a terminal: aligned text; with `colour`, the verdicts and severities in
// ANSI colours (the caller decides: a TTY, and NO_COLOR not set).
std::string render_text(const EstimateReport& report, bool colour = false);

// DESIGN.md's JSON contract (schema_version 1), pretty-printed.
std::string render_json(const EstimateReport& report);

// For a pull-request comment: a one-line verdict, a table of statements,
// the findings, and the details folded away.
std::string render_markdown(const EstimateReport& report);

// One self-contained HTML page (no external assets): the statements, the
// lock timeline per relation and mode, and per statement the scaling plot
// (slices, fitted model, prediction with interval, thresholds; log-log) as
// inline SVG.
std::string render_html(const EstimateReport& report);

// JUnit XML: one test case for the migration's total and one per statement,
// failing when its predicted time reaches `fail_on`, so CI systems show it.
std::string render_junit(const EstimateReport& report, FailOn fail_on);

// The same five formats for a set of migrations: each migration's report in
// order (as above), then the total and the set's verdict. JSON is the
// schema's `estimate_set`; JUnit has a test suite per migration file.
std::string render_text(const EstimateSet& set, bool colour = false);
std::string render_json(const EstimateSet& set);
std::string render_markdown(const EstimateSet& set);
std::string render_html(const EstimateSet& set);
std::string render_junit(const EstimateSet& set, FailOn fail_on);

// `migsim compare`: the strategies side by side (deploys, total time with its
// interval, the longest hold of each lock mode, the simulated traffic), each
// strategy's phases, and the recommendation with its reason. JSON is the
// schema's `comparison`; JUnit has a test suite per strategy, a test case per
// phase, failing when the phase blocks the traffic beyond its budget.
std::string render_text(const Comparison& comparison, bool colour = false);
std::string render_json(const Comparison& comparison);
std::string render_markdown(const Comparison& comparison);
std::string render_html(const Comparison& comparison);
std::string render_junit(const Comparison& comparison, FailOn fail_on);

}  // namespace migsim::reports
