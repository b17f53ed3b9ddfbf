#pragma once
// `migsim simulate`'s files: the traffic profile and the lock timeline in
// (JSON, documented in the README; the timeline may also be what `migsim
// estimate --format json` printed), the simulation's result out.

#include <stdexcept>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "reports/estimate_report.h"
#include "sim/simulator.h"
#include "sim/traffic.h"

namespace migsim::reports {

// Bad input, naming the file and where in it (line:column for JSON syntax,
// the field's path otherwise).
class SimulationInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

sim::TrafficProfile parse_traffic(const std::string& text, const std::string& file);

// A hand-written timeline, or an estimate's JSON: its statements become steps
// run back to back from `estimate_start_s`, each holding its strongest lock for
// its predicted lock_hold_seconds.
sim::MigrationTimeline parse_timeline(const std::string& text, const std::string& file, double estimate_start_s = 1.0);

// The lock timeline an estimate implies: what parse_timeline makes of its JSON.
sim::MigrationTimeline estimate_timeline(const EstimateReport& report, double start_s = 1.0);

// The simulation's JSON object (render_simulation_json's document; also the
// "simulation" member of an estimate's JSON).
nlohmann::ordered_json simulation_json(const sim::SimulationResult& result, const sim::LockTimeoutAdvice& advice,
                                       double target_p99_ms);

std::string render_simulation_json(const sim::SimulationResult& result, const sim::LockTimeoutAdvice& advice,
                                   double target_p99_ms);
std::string render_simulation_text(const sim::SimulationResult& result, const sim::LockTimeoutAdvice& advice,
                                   double target_p99_ms);

}  // namespace migsim::reports
