#include "reports/traffic_report.h"

#include <nlohmann/json.hpp>

namespace migsim::reports {

std::string render_traffic_json(const sampler::TrafficMeasurement& m) {
  using nlohmann::ordered_json;
  ordered_json classes = ordered_json::array();
  for (const sim::TrafficClass& k : m.profile.classes) {
    classes.push_back({{"name", k.name},
                       {"lock_mode", sim::lock_mode_name(k.lock_mode)},
                       {"rate_per_s", k.rate_per_s},
                       {"service_ms", {{"dist", k.service.dist}, {"mean", k.service.mean_ms}, {"p99", k.service.p99_ms}}}});
  }
  ordered_json long_transactions = ordered_json::array();
  for (const sim::LongTransaction& t : m.profile.long_transactions) {
    long_transactions.push_back(
        {{"start_s", t.start_s}, {"duration_s", t.duration_s}, {"lock_mode", sim::lock_mode_name(t.lock_mode)}});
  }
  ordered_json j;
  j["pool_size"] = m.profile.pool_size;
  j["classes"] = classes;
  j["long_transactions"] = long_transactions;
  j["measured"] = {{"table", m.schema + "." + m.table},
                   {"interval_s", m.interval_s},
                   {"source", m.from_pg_stat_statements ? "pg_stat_statements" : "pg_stat_user_tables"},
                   {"notes", m.notes}};
  return j.dump(2) + "\n";
}

}  // namespace migsim::reports
