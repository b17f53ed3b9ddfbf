#include "reports/way_back.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "reports/format.h"

namespace migsim::reports::detail {

std::vector<std::string> way_back_sentences(const EstimateReport& r) {
  std::vector<std::string> out;
  if (r.down.empty()) return out;
  const EstimateReport& d = r.down.front();
  std::string locks;
  for (auto it = d.max_lock_hold_seconds.rbegin(); it != d.max_lock_hold_seconds.rend(); ++it) {
    locks += fmt::format(", {} held {}", sim::lock_mode_name(it->first), human_seconds(it->second));
  }
  out.push_back(fmt::format("down migration {}: {} (90 % interval {} – {}){}", d.migration.source_name,
                            human_seconds(d.total_seconds), human_seconds(d.total_low_seconds),
                            human_seconds(d.total_high_seconds), locks));
  if (r.round_trip) {
    const sampler::RoundTrip& t = *r.round_trip;
    out.push_back(t.schema_restored()
                      ? "schema restored: up then down on the copy left columns, types, defaults, NOT NULL, "
                        "constraints, indexes and triggers as they were"
                      : fmt::format("schema NOT restored: {}", fmt::join(t.schema_differences, "; ")));
    out.push_back(t.data_intact()
                      ? fmt::format("data intact: {} rows, and every column that existed before holds the same values",
                                    grouped(t.rows_before))
                      : fmt::format("data NOT intact: {} rows before, {} after; changed columns: {}", grouped(t.rows_before),
                                    grouped(t.rows_after),
                                    t.changed_columns.empty() ? std::string("none") : fmt::format("{}", fmt::join(t.changed_columns, ", "))));
  }
  for (const std::string& i : r.irreversible) out.push_back(fmt::format("irreversible: {}", i));
  return out;
}

bool way_back_failed(const EstimateReport& r) {
  return r.round_trip && (!r.round_trip->schema_restored() || !r.round_trip->data_intact());
}

}  // namespace migsim::reports::detail
