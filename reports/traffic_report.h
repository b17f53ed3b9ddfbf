#pragma once
// The traffic profile `migsim traffic` writes: the simulator's input format.

#include <string>

#include "sampler/traffic.h"

namespace migsim::reports {

// {"pool_size", "classes": [{name, lock_mode, rate_per_s, service_ms: {dist,
// mean, p99}}], "long_transactions": [{start_s, duration_s, lock_mode}],
// "measured": {table, interval_s, source, notes}}.
std::string render_traffic_json(const sampler::TrafficMeasurement& measurement);

}  // namespace migsim::reports
