#include "reports/simulation_io.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "migration/source_text.h"
#include "reports/format.h"
#include "reports/render.h"

namespace migsim::reports {
namespace {

using nlohmann::json;

json parse_json(const std::string& text, const std::string& file) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    const auto pos = migration::position_of_byte(text, static_cast<int>(e.byte > 0 ? e.byte - 1 : 0));
    throw SimulationInputError(fmt::format("{}:{}:{}: not valid JSON ({})", file, pos.line, pos.column, e.what()));
  }
}

// Typed field access with errors that name the field's path.
struct Reader {
  const std::string& file;
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw SimulationInputError(fmt::format("{}: {}: {}", file, path, what));
  }
  double number(const json& o, const char* key, const std::string& path, std::optional<double> fallback = {}) const {
    if (!o.contains(key) || o.at(key).is_null()) {
      if (fallback) return *fallback;
      fail(path + "." + key, "missing (a number is required)");
    }
    if (!o.at(key).is_number()) fail(path + "." + key, "expected a number");
    return o.at(key).get<double>();
  }
  std::string text(const json& o, const char* key, const std::string& path, std::optional<std::string> fallback = {}) const {
    if (!o.contains(key)) {
      if (fallback) return *fallback;
      fail(path + "." + key, "missing (a string is required)");
    }
    if (!o.at(key).is_string()) fail(path + "." + key, "expected a string");
    return o.at(key).get<std::string>();
  }
  sim::LockMode mode(const json& o, const char* key, const std::string& path) const {
    const std::string name = text(o, key, path);
    const auto m = sim::parse_lock_mode(name);
    if (!m) fail(path + "." + key, fmt::format("'{}' is not a lock mode as pg_locks names them (AccessShareLock ...)", name));
    return *m;
  }
  const json& array(const json& o, const char* key, const std::string& path, bool required) const {
    static const json kEmpty = json::array();
    if (!o.contains(key)) {
      if (required) fail(path + "." + key, "missing (an array is required)");
      return kEmpty;
    }
    if (!o.at(key).is_array()) fail(path + "." + key, "expected an array");
    return o.at(key);
  }
};

nlohmann::ordered_json summary_json(const sim::WaitSummary& w) {
  return {{"p50", w.p50_ms}, {"p95", w.p95_ms}, {"p99", w.p99_ms}, {"max", w.max_ms}};
}

nlohmann::ordered_json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

sim::TrafficProfile parse_traffic(const std::string& text, const std::string& file) {
  const json j = parse_json(text, file);
  const Reader r{file};
  if (!j.is_object()) r.fail("(top)", "expected an object");
  sim::TrafficProfile t;
  t.pool_size = static_cast<int>(r.number(j, "pool_size", "", 100.0));
  if (t.pool_size < 1) r.fail(".pool_size", "must be at least 1");
  const json& classes = r.array(j, "classes", "", true);
  for (size_t i = 0; i < classes.size(); ++i) {
    const std::string path = fmt::format("classes[{}]", i);
    const json& c = classes[i];
    sim::TrafficClass k;
    k.name = r.text(c, "name", path, fmt::format("class {}", i));
    k.lock_mode = r.mode(c, "lock_mode", path);
    const json& arrivals = r.array(c, "arrivals_s", path, false);
    for (const json& a : arrivals) {
      if (!a.is_number()) r.fail(path + ".arrivals_s", "expected numbers");
      k.arrivals_s.push_back(a.get<double>());
    }
    std::sort(k.arrivals_s.begin(), k.arrivals_s.end());
    k.rate_per_s = r.number(c, "rate_per_s", path, arrivals.empty() ? std::nullopt : std::optional<double>(0.0));
    if (k.rate_per_s < 0) r.fail(path + ".rate_per_s", "must not be negative");
    if (c.contains("service_ms")) {
      const json& s = c.at("service_ms");
      k.service.dist = r.text(s, "dist", path + ".service_ms", std::string("fixed"));
      k.service.mean_ms = r.number(s, "mean", path + ".service_ms");
      k.service.p99_ms = r.number(s, "p99", path + ".service_ms", k.service.mean_ms);
      if (k.service.dist != "fixed" && k.service.dist != "exponential" && k.service.dist != "lognormal") {
        r.fail(path + ".service_ms.dist", "must be fixed, exponential or lognormal");
      }
      if (k.service.dist == "lognormal" && k.service.p99_ms < k.service.mean_ms) {
        r.fail(path + ".service_ms.p99", "a log-normal p99 cannot be below its mean");
      }
    }
    t.classes.push_back(k);
  }
  const json& longs = r.array(j, "long_transactions", "", false);
  for (size_t i = 0; i < longs.size(); ++i) {
    const std::string path = fmt::format("long_transactions[{}]", i);
    t.long_transactions.push_back({r.number(longs[i], "start_s", path, 0.0), r.number(longs[i], "duration_s", path),
                                   r.mode(longs[i], "lock_mode", path)});
  }
  return t;
}

sim::MigrationTimeline parse_timeline(const std::string& text, const std::string& file, double estimate_start_s) {
  const json j = parse_json(text, file);
  const Reader r{file};
  if (!j.is_object()) r.fail("(top)", "expected an object");
  sim::MigrationTimeline m;
  if (j.contains("schema_version") && j.contains("statements")) {
    // migsim estimate's JSON: statements back to back.
    double t = estimate_start_s;
    const json& statements = r.array(j, "statements", "", true);
    for (size_t i = 0; i < statements.size(); ++i) {
      const json& st = statements[i];
      const std::string path = fmt::format("statements[{}]", i);
      std::optional<sim::LockMode> strongest;
      for (const json& l : r.array(st, "lock_modes", path, false)) {
        const auto mode = r.mode(l, "mode", path + ".lock_modes[]");
        strongest = strongest ? sim::stronger(*strongest, mode) : mode;
      }
      const double seconds = r.number(st, "predicted_seconds", path, 0.0);
      if (strongest && st.contains("batches") && st.at("batches").is_object()) {
        // A batched backfill: its lock is taken and released once per batch, with a pause between.
        const json& b = st.at("batches");
        const std::string bpath = path + ".batches";
        const auto count = static_cast<long long>(r.number(b, "count", bpath));
        const double batch = r.number(b, "batch_seconds", bpath);
        const double pause = r.number(b, "pause_seconds", bpath, 0.0);
        const std::string name = r.text(st, "kind", path, std::string("statement"));
        for (long long k = 0; k < count; ++k) {
          m.steps.push_back({fmt::format("{} batch {}", name, k + 1), *strongest, t + static_cast<double>(k) * (batch + pause), batch});
        }
        t += seconds;
        continue;
      }
      if (strongest) {
        m.steps.push_back({r.text(st, "kind", path, std::string("statement")), *strongest, t,
                           r.number(st, "lock_hold_seconds", path, seconds)});
      }
      t += seconds;
    }
    // The migration's own SET lock_timeout and its retry policy.
    if (j.contains("lock_timeout_s") && !j.at("lock_timeout_s").is_null()) m.lock_timeout_s = r.number(j, "lock_timeout_s", "");
    m.retries = static_cast<int>(r.number(j, "retries", "", 0.0));
    m.retry_backoff_s = r.number(j, "retry_backoff_s", "", 1.0);
    return m;
  }
  const json& steps = r.array(j, "steps", "", true);
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::string path = fmt::format("steps[{}]", i);
    sim::MigrationStep s{r.text(steps[i], "name", path, fmt::format("step {}", i)), r.mode(steps[i], "lock_mode", path),
                         r.number(steps[i], "start_s", path, 0.0), r.number(steps[i], "hold_s", path)};
    if (s.start_s < 0 || s.hold_s < 0) r.fail(path, "times must not be negative");
    m.steps.push_back(s);
  }
  if (j.contains("lock_timeout_s") && !j.at("lock_timeout_s").is_null()) m.lock_timeout_s = r.number(j, "lock_timeout_s", "");
  m.retries = static_cast<int>(r.number(j, "retries", "", 0.0));
  m.retry_backoff_s = r.number(j, "retry_backoff_s", "", 1.0);
  return m;
}

nlohmann::ordered_json simulation_json(const sim::SimulationResult& s, const sim::LockTimeoutAdvice& advice,
                                       double target) {
  nlohmann::ordered_json series = nlohmann::ordered_json::array();
  for (const auto& [t, d] : s.queue_depth_series) series.push_back({t, d});
  nlohmann::ordered_json j = {{"schema_version", kSchemaVersion},
            {"queries", s.queries},
            {"blocked_queries", s.blocked_queries},
            {"wait_ms", summary_json(s.wait)},
            {"wait_ms_blocked", summary_json(s.wait_blocked)},
            {"max_queue_depth", s.max_queue_depth},
            {"queue_depth_series", series},
            {"pool_exhausted_at_s", optional_number(s.pool_exhausted_at_s)},
            {"timed_out_queries", s.timed_out_queries},
            {"migration_finished_at_s", optional_number(s.migration_finished_at_s)},
            {"migration_attempts", s.migration_attempts},
            {"migration_failed", s.migration_failed},
            {"simulated_s", s.simulated_s}};
  j["recommendation"] = advice.found ? nlohmann::ordered_json{{"target_p99_ms", target},
                                            {"lock_timeout_s", advice.lock_timeout_s},
                                            {"retries", advice.retries},
                                            {"retry_backoff_s", advice.retry_backoff_s},
                                            {"p99_ms", advice.result.wait.p99_ms},
                                            {"migration_finished_at_s", optional_number(advice.result.migration_finished_at_s)}}
                                     : nlohmann::ordered_json{{"target_p99_ms", target}, {"lock_timeout_s", nullptr}, {"reason",
                                            "no lock_timeout and retry schedule keeps p99 under the target and lets the "
                                            "migration finish"}};
  return j;
}

sim::MigrationTimeline estimate_timeline(const EstimateReport& report, double start_s) {
  // Through the JSON, so that `estimate --traffic` and `simulate --timeline
  // estimate.json` read the estimate the same way.
  return parse_timeline(render_json(report), report.migration.source_name, start_s);
}

std::string render_simulation_json(const sim::SimulationResult& s, const sim::LockTimeoutAdvice& advice, double target) {
  return simulation_json(s, advice, target).dump(2) + "\n";
}

std::string render_simulation_text(const sim::SimulationResult& s, const sim::LockTimeoutAdvice& advice, double target) {
  std::string out;
  out += fmt::format("  queries       {} arrived, {} blocked ({:.1f} %), {} timed out\n", grouped(s.queries),
                     grouped(s.blocked_queries),
                     s.queries ? 100.0 * static_cast<double>(s.blocked_queries) / static_cast<double>(s.queries) : 0.0,
                     grouped(s.timed_out_queries));
  out += fmt::format("  added wait    p50 {}  p95 {}  p99 {}  max {}\n", human_seconds(s.wait.p50_ms / 1e3),
                     human_seconds(s.wait.p95_ms / 1e3), human_seconds(s.wait.p99_ms / 1e3),
                     human_seconds(s.wait.max_ms / 1e3));
  out += fmt::format("  lock queue    up to {} waiting\n", s.max_queue_depth);
  out += fmt::format("  pool          {}\n", s.pool_exhausted_at_s
                                                 ? fmt::format("exhausted at {:.2f} s", *s.pool_exhausted_at_s)
                                                 : std::string("never exhausted"));
  out += fmt::format("  migration     {} after {} attempt{}\n",
                     s.migration_failed ? std::string("gave up")
                     : s.migration_finished_at_s ? fmt::format("finished at {:.2f} s", *s.migration_finished_at_s)
                                                 : std::string("did not finish in the simulated time"),
                     s.migration_attempts, s.migration_attempts == 1 ? "" : "s");
  if (advice.found) {
    out += fmt::format("  recommended   SET lock_timeout = '{:.0f}ms', up to {} retries with backoff from {:.1f} s: "
                       "p99 {} (target {}), migration finished at {:.2f} s\n",
                       advice.lock_timeout_s * 1e3, advice.retries, advice.retry_backoff_s,
                       human_seconds(advice.result.wait.p99_ms / 1e3), human_seconds(target / 1e3),
                       advice.result.migration_finished_at_s.value_or(0));
  } else {
    out += fmt::format("  recommended   none: no lock_timeout and retry schedule keeps p99 under {} and lets the "
                       "migration finish; schedule it at low traffic or split it\n",
                       human_seconds(target / 1e3));
  }
  return out;
}

}  // namespace migsim::reports
