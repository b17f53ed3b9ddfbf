#include "app/compare.h"

#include <algorithm>

#include <fmt/format.h>

#include "reports/gate.h"
#include "sampler/errors.h"

namespace migsim::app {

reports::Comparison compare(const std::vector<migration::Strategy>& strategies, const CompareOptions& options) {
  reports::Comparison c;
  c.thresholds = options.estimate.thresholds;
  c.traffic_file = options.traffic ? options.traffic_file : std::string();
  c.target_p99_ms = options.target_p99_ms;
  const auto& progress = options.estimate.sampling.progress;
  for (const migration::Strategy& strategy : strategies) {
    if (progress) {
      progress(fmt::format("strategy {}: {} phase{} from {}", strategy.name, strategy.phases.size(),
                           strategy.phases.size() == 1 ? "" : "s", strategy.path));
    }
    std::vector<migration::Migration> phases;
    for (const migration::Phase& p : strategy.phases) phases.push_back(p.migration);
    const reports::EstimateSet set = estimate_set(phases, options.estimate);
    reports::StrategyResult s;
    s.name = strategy.name;
    s.path = strategy.path;
    for (size_t i = 0; i < strategy.phases.size(); ++i) {
      reports::PhaseResult p;
      p.name = strategy.phases[i].name;
      p.same_deploy = strategy.phases[i].same_deploy;
      p.file = strategy.phases[i].migration.source_name;
      p.report = set.migrations.at(i).report;
      p.not_timed = set.migrations.at(i).not_timed;
      if (p.report) {
        const std::string table = p.report->table.schema + "." + p.report->table.name;
        if (c.table.empty()) {
          c.table = table;
          c.table_rows = p.report->table.rows;
        } else if (table != c.table) {
          throw sampler::InputError(fmt::format("{}: strategy {} changes {}, but the strategies before it change {}; "
                                                "compare strategies for one table (--table picks it)",
                                                p.file, strategy.name, table, c.table));
        }
        if (options.traffic) {
          if (progress) progress(fmt::format("strategy {}, phase {}: simulating its locks against {}", strategy.name, p.name, options.traffic_file));
          try {
            add_simulation(*p.report, *options.traffic, options.traffic_file, options.target_p99_ms);
          } catch (const std::invalid_argument& e) {
            throw sampler::InputError(fmt::format("{}: {}", options.traffic_file, e.what()));
          }
        }
      }
      s.phases.push_back(std::move(p));
    }
    for (const std::string& n : set.notes) c.notes.push_back(fmt::format("{}: {}", strategy.name, n));
    c.strategies.push_back(std::move(s));
  }
  std::vector<sim::LockMode> traffic_modes;
  if (options.traffic) {
    for (const sim::TrafficClass& t : options.traffic->classes) traffic_modes.push_back(t.lock_mode);
  }
  reports::recommend(c, traffic_modes);
  c.notes.push_back("migsim weighs locks, time and traffic; whether the application can follow a change within one "
                    "deploy (a renamed column, a type its code reads) is for the team to judge");
  return c;
}

}  // namespace migsim::app
