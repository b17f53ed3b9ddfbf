#include "app/compare.h"

#include <algorithm>

#include <fmt/format.h>

#include "estimators/regimes.h"
#include "reports/format.h"
#include "reports/gate.h"
#include "sampler/errors.h"

namespace migsim::app {
namespace {

// The replay's cost per row, as a multiple of the copy's: at least the same
// work, and a replay by key (an index lookup and a write per change) may cost
// several times a sequential copy's.
constexpr double kReplayHighFactor = 5;

double write_rate(const sim::TrafficProfile& traffic) {
  double rate = 0;
  for (const sim::TrafficClass& c : traffic.classes) {
    if (c.lock_mode != sim::LockMode::RowExclusive) continue;
    if (!c.arrivals_s.empty()) {
      const auto [lo, hi] = std::minmax_element(c.arrivals_s.begin(), c.arrivals_s.end());
      rate += *hi > *lo ? static_cast<double>(c.arrivals_s.size()) / (*hi - *lo) : 0;
    } else {
      rate += c.rate_per_s;
    }
  }
  return rate;
}

// A phase whose report is `measured`'s times on a migration that shows what
// the phase does to the table (its statement and locks).
reports::PhaseResult synthetic_phase(const std::string& name, const std::string& sql, const reports::EstimateReport& measured,
                                     const estimators::Forecast& forecast, const std::string& note) {
  reports::EstimateReport r;
  r.migration = migration::parse_migration(sql, fmt::format("online copy: {}", name));
  r.table = measured.table;
  r.thresholds = measured.thresholds;
  r.samples = measured.samples;
  r.samples.runs.clear();
  for (size_t i = 0; i < r.migration.statements.size(); ++i) {
    reports::StatementEstimate e;
    e.index = i;
    e.forecast = forecast;
    for (const auto& l : r.migration.statements[i].locks) {
      e.strongest_lock = e.strongest_lock ? sim::stronger(*e.strongest_lock, l.mode) : l.mode;
    }
    r.statements.push_back(e);
  }
  r.notes.push_back(note);
  summarize(r);
  reports::PhaseResult p;
  p.name = name;
  p.file = r.migration.source_name;
  p.report = std::move(r);
  return p;
}

// The pg-osc / pg_repack approach, priced from the table itself: rows copied
// into a shadow table (timed as VACUUM FULL on the copies: the same heap copy
// and index builds), the changes written meanwhile replayed (the traffic's
// write rate over the copy's duration), then the two tables swapped under a
// short AccessExclusiveLock (timed on the copies).
reports::StrategyResult online_copy(const migration::Strategy& strategy, const std::string& table,
                                    const CompareOptions& options, std::vector<std::string>& notes) {
  const std::string quoted = table;  // as the other strategies name it, "schema.name"
  const migration::Migration measured_migration = migration::parse_migration(
      fmt::format("VACUUM FULL {0};\nBEGIN;\nLOCK TABLE {0} IN ACCESS EXCLUSIVE MODE;\nALTER TABLE {0} RENAME TO "
                  "migsim_online_copy_swap;\nCOMMIT;\nDROP TABLE migsim_online_copy_swap;\n",
                  quoted),
      fmt::format("{} (online copy, measured)", strategy.name));
  EstimateOptions o = options.estimate;
  o.table = table;
  const reports::EstimateReport measured = estimate(measured_migration, o);
  const estimators::Forecast& copy = measured.statements.at(0).forecast;
  const double rows = std::max(measured.table.rows, 1.0);
  const double per_row = copy.predicted_seconds / rows;
  const double writes = options.traffic ? write_rate(*options.traffic) : 0;

  reports::StrategyResult s;
  s.name = strategy.name;
  s.path = "online-copy";
  s.phases.push_back(synthetic_phase(
      "copy", fmt::format("-- rows copied into a shadow table in batches; triggers record the changes meanwhile\nSELECT * FROM {};", quoted),
      measured, copy,
      "the copy is priced from VACUUM FULL's measured time on the slices (the same heap copy and index builds); an "
      "online copy only reads the table while it runs"));
  estimators::Forecast replay = copy;
  const double load = writes * per_row;
  if (load >= 1) {
    notes.push_back(fmt::format("{}: the table takes {:.0f} writes/s, faster than the copy applies rows ({:.0f}/s): "
                                "the replay would never catch up",
                                strategy.name, writes, 1 / per_row));
  }
  replay.predicted_seconds = estimators::replay_seconds(copy.predicted_seconds, writes, per_row);
  replay.low_seconds = estimators::replay_seconds(copy.low_seconds, writes, per_row);
  replay.high_seconds = estimators::replay_seconds(copy.high_seconds, writes, per_row * kReplayHighFactor);
  replay.reason = fmt::format("{:.0f} writes/s{} over the copy's {:.1f} s, each replayed at the copy's {} per row (up to "
                              "{:.0f}x that)",
                              writes, options.traffic ? " (the traffic's RowExclusiveLock classes)" : " (no --traffic)",
                              copy.predicted_seconds, reports::human_seconds(per_row), kReplayHighFactor);
  s.phases.push_back(synthetic_phase(
      "replay", fmt::format("-- the changes recorded during the copy, applied to the shadow table (not run)\n"
                            "UPDATE {} SET migsim_recorded_changes = NULL WHERE false;",
                            quoted),
      measured, replay, replay.reason));
  // The swap: the measured LOCK + RENAME transaction.
  migration::Migration swap = measured_migration;
  swap.statements.erase(swap.statements.begin());
  swap.statements.pop_back();  // the DROP only tidies the copies up
  reports::PhaseResult sp;
  sp.name = "swap";
  sp.file = measured_migration.source_name;
  sp.report = part_of(measured, swap, 1);
  sp.report->notes.push_back("the swap is timed as LOCK TABLE ... ACCESS EXCLUSIVE and a rename on the copies");
  sp.same_deploy = false;
  s.phases.push_back(std::move(sp));
  s.phases[1].same_deploy = true;
  s.phases[2].same_deploy = true;
  notes.push_back(fmt::format("{}: an online copy needs a tool that does it (pg-osc, pg_repack), a primary key, and "
                              "room for a second copy of the table ({}) while it runs",
                              strategy.name, reports::human_bytes(static_cast<double>(measured.table.total_bytes))));
  if (!options.traffic) {
    notes.push_back(fmt::format("{}: without --traffic the write rate is taken as 0, so the replay is priced at 0 s",
                                strategy.name));
  }
  return s;
}

}  // namespace

reports::Comparison compare(const std::vector<migration::Strategy>& strategies, const CompareOptions& options) {
  reports::Comparison c;
  c.thresholds = options.estimate.thresholds;
  c.traffic_file = options.traffic ? options.traffic_file : std::string();
  c.target_p99_ms = options.target_p99_ms;
  const auto& progress = options.estimate.sampling.progress;
  auto simulate_phase = [&](reports::PhaseResult& p, const std::string& strategy) {
    if (!options.traffic || !p.report) return;
    if (progress) progress(fmt::format("strategy {}, phase {}: simulating its locks against {}", strategy, p.name, options.traffic_file));
    try {
      add_simulation(*p.report, *options.traffic, options.traffic_file, options.target_p99_ms);
    } catch (const std::invalid_argument& e) {
      throw sampler::InputError(fmt::format("{}: {}", options.traffic_file, e.what()));
    }
  };
  for (const migration::Strategy& strategy : strategies) {
    if (strategy.path == migration::kOnlineCopy) continue;  // priced below, once the table is known
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
      }
      simulate_phase(p, strategy.name);
      s.phases.push_back(std::move(p));
    }
    for (const std::string& n : set.notes) c.notes.push_back(fmt::format("{}: {}", strategy.name, n));
    c.strategies.push_back(std::move(s));
  }
  for (const migration::Strategy& strategy : strategies) {
    if (strategy.path != migration::kOnlineCopy) continue;
    const std::string table = c.table.empty() ? options.estimate.table : c.table;
    if (table.empty()) {
      throw sampler::InputError(fmt::format("strategy {} (online-copy) needs the table: give --table or another "
                                            "strategy",
                                            strategy.name));
    }
    if (progress) progress(fmt::format("strategy {}: an online copy of {}", strategy.name, table));
    reports::StrategyResult s = online_copy(strategy, table, options, c.notes);
    if (c.table.empty()) {
      c.table = s.phases.front().report->table.schema + "." + s.phases.front().report->table.name;
      c.table_rows = s.phases.front().report->table.rows;
    }
    for (reports::PhaseResult& p : s.phases) simulate_phase(p, strategy.name);
    // In the order the user gave.
    const auto before = static_cast<size_t>(&strategy - strategies.data());
    c.strategies.insert(c.strategies.begin() + static_cast<long>(std::min(before, c.strategies.size())), std::move(s));
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
