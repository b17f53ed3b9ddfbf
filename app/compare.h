#pragma once
// `migsim compare`: each strategy's phases estimated on copies of the same
// table (each strategy on copies of its own), simulated against the traffic
// when given, side by side, with a recommendation.

#include <optional>
#include <string>
#include <vector>

#include "app/estimate_pipeline.h"
#include "migration/strategy.h"
#include "reports/estimate_report.h"
#include "sim/traffic.h"

namespace migsim::app {

struct CompareOptions {
  EstimateOptions estimate;
  std::optional<sim::TrafficProfile> traffic;
  std::string traffic_file;
  double target_p99_ms = 200;  // the traffic's latency budget (and, without traffic, a blocking lock's)
};

// Estimates every phase of every strategy (the phases of one strategy run one
// after another on the same copies, as estimate_set() runs a folder),
// simulates each phase's locks against the traffic, and recommends one
// (reports::recommend). Throws sampler::InputError when the strategies change
// different tables, and what estimate_set() throws.
reports::Comparison compare(const std::vector<migration::Strategy>& strategies, const CompareOptions& options);

}  // namespace migsim::app
