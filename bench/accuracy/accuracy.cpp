// The accuracy benchmark (issue 5): predictions from slices against the real
// migration on the full table, for the migration kinds whose scaling differs.
//
// On a throwaway PostgreSQL 15 server it loads a dataset (--dataset: orders,
// or events, a table of another shape) at --rows rows (and the table its
// foreign key references), then for each kind, in an order
// that leaves the table as the next kind expects: runs its setup, predicts the
// migration with `migsim estimate`'s pipeline from slices of at most
// --slice-fraction of the rows, runs the migration for real on the full table,
// and runs its cleanup. Prints one row per kind and writes them as CSV.
// The classic method is one slice of about 100,000 rows (--classic-rows; the
// estimate's largest slice when it has about that many, else one sampled for
// it, untimed), scaled linearly: its median time times rows / slice rows.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "app/estimate_pipeline.h"
#include "app/signals.h"
#include "datasets/datasets.h"
#include "migration/migration.h"
#include "reports/format.h"
#include "reports/render.h"
#include "sampler/dataset_loader.h"
#include "sampler/errors.h"
#include "sampler/local_server.h"
#include "sampler/table_profile.h"

namespace {

using namespace migsim;
using Clock = std::chrono::steady_clock;

struct Kind {
  std::string name;
  std::string setup;      // untimed, on the real table, before predicting
  std::string migration;  // predicted, then run for real
  std::string cleanup;    // untimed, afterwards
};

// A table shape and its kinds. In `kinds`' order each kind finds the table
// as the dataset made it, except that the later ones see the earlier ones'
// dropped columns (catalog only).
struct Dataset {
  std::string name;        // datasets/<name>/{schema,generate,indexes}.sql; the table has the same name
  std::string referenced;  // untimed, after loading: the table the foreign key kind references
  std::vector<Kind> kinds;
};

const std::vector<Dataset> kDatasets = {
    {"orders",
     "CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL);"
     "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 50000) g;"
     "VACUUM ANALYZE customers;",
     {
         {"add_column_catalog", "", "ALTER TABLE orders ADD COLUMN gift_wrap text NOT NULL DEFAULT 'none';",
          "ALTER TABLE orders DROP COLUMN gift_wrap;"},
         {"create_index", "", "CREATE INDEX orders_price_created_idx ON orders (unit_price, created_at);",
          "DROP INDEX orders_price_created_idx;"},
         {"create_index_concurrently", "", "CREATE INDEX CONCURRENTLY orders_updated_idx ON orders (updated_at);",
          "DROP INDEX orders_updated_idx;"},
         {"add_check", "", "ALTER TABLE orders ADD CONSTRAINT orders_price_nonnegative CHECK (unit_price >= 0);",
          "ALTER TABLE orders DROP CONSTRAINT orders_price_nonnegative;"},
         {"validate_constraint",
          "ALTER TABLE orders ADD CONSTRAINT orders_quantity_bounded CHECK (quantity < 1000) NOT VALID;",
          "ALTER TABLE orders VALIDATE CONSTRAINT orders_quantity_bounded;",
          "ALTER TABLE orders DROP CONSTRAINT orders_quantity_bounded;"},
         {"set_not_null", "ALTER TABLE orders ALTER COLUMN status DROP NOT NULL;",
          "ALTER TABLE orders ALTER COLUMN status SET NOT NULL;", ""},
         {"add_foreign_key", "",
          "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);",
          "ALTER TABLE orders DROP CONSTRAINT orders_customer_fk;"},
         {"add_column_volatile_default", "", "ALTER TABLE orders ADD COLUMN shard double precision DEFAULT random();",
          "ALTER TABLE orders DROP COLUMN shard;"},
         {"alter_type_indexed", "", "ALTER TABLE orders ALTER COLUMN customer_id TYPE bigint;", ""},
         {"vacuum_full", "", "VACUUM FULL orders;", ""},
         {"update_backfill", "",
          "UPDATE orders SET updated_at = coalesce(updated_at, created_at) + interval '1 second';", ""},
     }},
    // The same kinds on a table of another shape (datasets/events/schema.sql):
    // wide rows, most bytes in TOAST, seven indexes, skewed values.
    {"events",
     "CREATE TABLE accounts (id integer PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL);"
     "INSERT INTO accounts SELECT g, 'account ' || g, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute' "
     "FROM generate_series(1, 50000) g;"
     "VACUUM ANALYZE accounts;",
     {
         {"add_column_catalog", "", "ALTER TABLE events ADD COLUMN archived boolean NOT NULL DEFAULT false;",
          "ALTER TABLE events DROP COLUMN archived;"},
         {"create_index", "", "CREATE INDEX events_score_idx ON events (score);", "DROP INDEX events_score_idx;"},
         {"create_index_concurrently", "",
          "CREATE INDEX CONCURRENTLY events_region_received_idx ON events (region, received_at);",
          "DROP INDEX events_region_received_idx;"},
         {"add_check", "", "ALTER TABLE events ADD CONSTRAINT events_severity_known CHECK (severity BETWEEN 0 AND 7);",
          "ALTER TABLE events DROP CONSTRAINT events_severity_known;"},
         {"validate_constraint",
          "ALTER TABLE events ADD CONSTRAINT events_received_after CHECK (received_at >= occurred_at) NOT VALID;",
          "ALTER TABLE events VALIDATE CONSTRAINT events_received_after;",
          "ALTER TABLE events DROP CONSTRAINT events_received_after;"},
         {"set_not_null", "ALTER TABLE events ALTER COLUMN region DROP NOT NULL;",
          "ALTER TABLE events ALTER COLUMN region SET NOT NULL;", ""},
         {"add_foreign_key", "",
          "ALTER TABLE events ADD CONSTRAINT events_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);",
          "ALTER TABLE events DROP CONSTRAINT events_account_fk;"},
         {"add_column_volatile_default", "", "ALTER TABLE events ADD COLUMN shard double precision DEFAULT random();",
          "ALTER TABLE events DROP COLUMN shard;"},
         {"alter_type_indexed", "", "ALTER TABLE events ALTER COLUMN account_id TYPE bigint;", ""},
         {"vacuum_full", "", "VACUUM FULL events;", ""},
         {"update_backfill", "",
          "UPDATE events SET processed_at = coalesce(processed_at, received_at) + interval '1 second';", ""},
     }},
};

struct Row {
  std::string kind;
  std::vector<long long> slices;
  double predicted = 0, low = 0, high = 0, actual = 0, classic = 0;  // actual: the median of the real runs
  std::vector<double> actual_runs;
  std::vector<double> predictions;  // the first is `predicted`; more with --estimates, each from its own slices
  double estimate_wall = 0;
  std::string model;
  // Per real run: the recycled WAL segments pg_wal held ahead when it started,
  // the segments its WAL filled, and how many of them it had to create
  // (app::wal_segments_on of those two).
  std::vector<int> wal_ahead, wal_written, wal_created;
  double error() const { return actual > 0 ? (predicted - actual) / actual : 0; }
  double classic_error() const { return actual > 0 ? (classic - actual) / actual : 0; }
  bool inside() const { return actual >= low && actual <= high; }
};

// Set-up and clean-up SQL on the throwaway server, through the sampler like
// every server call (one statement per transaction; VACUUM and CHECKPOINT
// outside one).
void exec(const std::string& dsn, const std::string& sql) {
  if (!sql.empty()) sampler::run_in_place(dsn, migration::parse_migration(sql, "accuracy setup"));
}

// The largest slice an estimate ran on.
long long largest_slice(const reports::EstimateReport& r) {
  long long largest = 0;
  for (const auto& run : r.samples.runs) largest = std::max(largest, run.rows);
  return largest;
}

// The classic method: the median time at the largest slice, times rows / slice rows.
double classic_prediction(const reports::EstimateReport& r) {
  const long long largest = largest_slice(r);
  double total = 0;
  for (size_t i = 0; i < r.migration.statements.size(); ++i) {
    std::vector<double> t;
    for (const auto& run : r.samples.runs) {
      if (run.rows == largest && run.statements.at(i).executed) t.push_back(run.statements.at(i).seconds);
    }
    if (t.empty() || largest == 0) continue;
    std::sort(t.begin(), t.end());
    total += t[t.size() / 2] * r.table.rows / static_cast<double>(largest);
  }
  return total;
}

// "1.05 s – 1.49 s (3)" for several real runs, "1" for one.
std::string runs_range(const std::vector<double>& runs) {
  if (runs.size() < 2) return std::to_string(runs.size());
  const auto [lo, hi] = std::minmax_element(runs.begin(), runs.end());
  return fmt::format("{} – {} ({})", reports::human_seconds(*lo), reports::human_seconds(*hi), runs.size());
}

int run(int argc, char** argv) {
  namespace po = boost::program_options;
  long long rows = 5'000'000;
  double slice_fraction = 0.01;
  int repeats = 3;
  double agreement = sampler::SamplingOptions{}.agreement;
  std::string csv;
  std::string only;
  std::string dataset_name = "orders";
  std::string reports_dir;
  std::string shared_buffers = "256MB";
  std::string maintenance_work_mem = "64MB";
  bool quiet = false;
  int real_runs = 3;
  int estimates = 1;
  double repeat_below = 10;
  long long classic_rows = 100'000;
  po::options_description desc(
      "accuracy [--rows N] [--csv FILE]\n\nPredicts each migration kind from slices, runs it for real on the full "
      "table of a throwaway server, and compares.\n\noptions");
  desc.add_options()("rows", po::value(&rows)->default_value(rows), "rows in the full table")(
      "slice-fraction", po::value(&slice_fraction)->default_value(slice_fraction), "the largest slice, as a fraction of the rows")(
      "classic-rows", po::value(&classic_rows)->default_value(classic_rows),
      "the classic method's one sample: its rows (the estimate's own largest slice when that is within 10 % of "
      "this, or the table is under 10 times this; otherwise sampled for it, untimed)")(
      "repeats", po::value(&repeats)->default_value(repeats), "runs per slice size")(
      "agreement", po::value(&agreement)->default_value(agreement),
      "where each run commits, a size's runs stop once two agree within this fraction (0: off)")(
      "estimates", po::value(&estimates)->default_value(estimates),
      "estimates of each kind, each with its own sampling seed (42, 43, ...): the first is the row's prediction, "
      "all of them show how much one estimate varies")(
      "csv", po::value(&csv), "write the rows here (e.g. datasets/ground-truth/accuracy-5m.csv)")(
      "dataset", po::value(&dataset_name)->default_value(dataset_name),
      "the table: orders (datasets/orders) or events (datasets/events: wide rows, TOAST-heavy, seven indexes, "
      "skewed values)")("kinds", po::value(&only), "comma-separated kinds to run (default: all)")(
      "reports", po::value(&reports_dir), "write each kind's estimate as JSON (its slices' timings) into this folder")(
      "shared-buffers", po::value(&shared_buffers)->default_value(shared_buffers), "the server's shared_buffers")(
      "maintenance-work-mem", po::value(&maintenance_work_mem)->default_value(maintenance_work_mem),
      "the server's maintenance_work_mem")("real-runs", po::value(&real_runs)->default_value(real_runs),
      "real runs of each kind whose first real run is shorter than --repeat-below (and that its clean-up and set-up "
      "undo); the actual time is their median")("repeat-below", po::value(&repeat_below)->default_value(repeat_below),
                                                 "seconds")("quiet,q", po::bool_switch(&quiet), "no progress")("help,h", "this help");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  const auto found = std::find_if(kDatasets.begin(), kDatasets.end(),
                                  [&](const Dataset& d) { return d.name == dataset_name; });
  if (found == kDatasets.end()) {
    std::cerr << fmt::format("accuracy: --dataset: '{}' is not orders or events\n", dataset_name);
    return 2;
  }
  const Dataset& dataset = *found;
  for (size_t at = 0; !only.empty() && at <= only.size();) {
    const size_t comma = std::min(only.find(',', at), only.size());
    const std::string name = only.substr(at, comma - at);
    if (std::none_of(dataset.kinds.begin(), dataset.kinds.end(), [&](const Kind& k) { return k.name == name; })) {
      std::cerr << fmt::format("accuracy: --kinds: '{}' is not a kind (see bench/accuracy/accuracy.cpp)\n", name);
      return 2;
    }
    at = comma + 1;
  }
  app::install_interrupt_handling();
  const auto start_all = Clock::now();
  sampler::ProgressFn progress;
  if (!quiet) {
    progress = [start_all](const sampler::Progress& p) {
      std::cerr << fmt::format("[{:7.1f} s] {}\n", std::chrono::duration<double>(Clock::now() - start_all).count(), p.line);
    };
  }
  sampler::LocalServerOptions so;
  so.shared_buffers = shared_buffers;
  so.maintenance_work_mem = maintenance_work_mem;
  so.progress = progress;
  const auto server = sampler::LocalServer::start(so);
  const sampler::GeneratorScript script{datasets::file(dataset.name + "/schema.sql"),
                                        datasets::file(dataset.name + "/generate.sql"),
                                        datasets::file(dataset.name + "/indexes.sql")};
  sampler::load_dataset(server->dsn(), script, dataset.name, rows, progress);
  exec(server->dsn(), dataset.referenced + "CHECKPOINT;");

  app::EstimateOptions options;
  options.dsn = server->dsn();
  options.table = "public." + dataset.name;
  options.sampling.repeats = repeats;
  options.sampling.agreement = agreement;
  options.sampling.max_slice_rows = std::max(1000LL, static_cast<long long>(slice_fraction * static_cast<double>(rows)));
  options.sampling.progress = progress;

  std::vector<Row> results;
  for (const Kind& kind : dataset.kinds) {
    if (!only.empty() && fmt::format(",{},", only).find(fmt::format(",{},", kind.name)) == std::string::npos) continue;
    if (progress) progress(fmt::format("== {}: {}", kind.name, kind.migration));
    exec(server->dsn(), kind.setup);
    // The estimate starts from the state the real run starts from: the previous
    // kind's real run may have rewritten the 1.1 GB table seconds ago, and the
    // kernel's writeback of it slowed the first estimate's copies and runs
    // (the read probe measured 20 us per page instead of 5), which a deploy's
    // estimate on a server in its steady state does not see.
    exec(server->dsn(), "CHECKPOINT");
    const migration::Migration m = migration::parse_migration(kind.migration, kind.name + ".sql");
    Row row;
    row.kind = kind.name;
    const auto t0 = Clock::now();
    const reports::EstimateReport report = app::estimate(m, options);
    row.estimate_wall = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!reports_dir.empty()) {
      std::filesystem::create_directories(reports_dir);
      const std::string path = fmt::format("{}/{}.json", reports_dir, kind.name);
      std::ofstream out(path);
      out << reports::render_json(report);
      if (!out) throw sampler::InputError(fmt::format("{}: cannot write the report", path));
    }
    row.slices = report.samples.slice_rows;
    row.predicted = report.total_seconds;
    row.predictions.push_back(report.total_seconds);
    for (int k = 1; k < estimates; ++k) {
      app::EstimateOptions again = options;
      again.sampling.seed = options.sampling.seed + k;
      row.predictions.push_back(app::estimate(m, again).total_seconds);
    }
    row.low = report.total_low_seconds;
    row.high = report.total_high_seconds;
    row.classic = classic_prediction(report);
    // The classic method's sample has its own size: from slices of 1 % of
    // 5,000,000 rows, the estimate's largest is half of it.
    const double classic_share = static_cast<double>(largest_slice(report)) / static_cast<double>(classic_rows);
    // (The slice ladder takes at most a tenth of the table: a smaller table's classic sample is the largest slice.)
    if (rows >= 10 * classic_rows && std::abs(classic_share - 1) > 0.1) {
      if (progress) progress(fmt::format("== {}: the classic method's sample of {} rows", kind.name, classic_rows));
      app::EstimateOptions classic = options;
      classic.sampling.max_slice_rows = classic_rows;
      row.classic = classic_prediction(app::estimate(m, classic));
    }
    for (const auto& s : report.statements) {
      row.model += fmt::format("{}{}", row.model.empty() ? "" : "+", estimators::model_name(s.forecast.model));
    }
    // A short migration's real time varies by a third from run to run on a
    // shared machine: the truth is the median of several runs where the
    // kind's clean-up and set-up put the table back as it was.
    const bool undoable = !kind.setup.empty() || !kind.cleanup.empty();
    for (int k = 0; k < std::max(real_runs, 1); ++k) {
      if (k > 0) {
        if (!undoable || row.actual_runs.front() >= repeat_below) break;
        exec(server->dsn(), kind.setup);
      }
      exec(server->dsn(), "CHECKPOINT");  // the real run starts from the same state as a deploy would
      const sampler::WalPosition before = sampler::wal_position(server->dsn());
      double seconds = 0;
      for (double a : sampler::run_in_place(server->dsn(), m)) seconds += a;
      row.actual_runs.push_back(seconds);
      const estimators::WalSegments segments = app::wal_segments_on(
          report.table.server, sampler::wal_bytes_since(server->dsn(), before.insert_lsn), before.segments_ahead);
      row.wal_ahead.push_back(before.segments_ahead);
      row.wal_written.push_back(segments.needed);
      row.wal_created.push_back(segments.created_high);
      exec(server->dsn(), kind.cleanup);
    }
    row.actual = estimators::median(row.actual_runs);
    if (progress) {
      progress(fmt::format("== {}: predicted {} ({} – {}), actual {} (real runs: {}), classic {}; the first real "
                           "run's WAL filled {} segments, with {} recycled ahead: about {} created",
                           kind.name, reports::human_seconds(row.predicted), reports::human_seconds(row.low),
                           reports::human_seconds(row.high), reports::human_seconds(row.actual),
                           runs_range(row.actual_runs), reports::human_seconds(row.classic), row.wal_written.front(),
                           row.wal_ahead.front(), row.wal_created.front()));
    }
    results.push_back(row);
  }

  // The table, as printed in the README.
  std::string out = fmt::format("migsim accuracy benchmark: {} rows of datasets/{}, shared_buffers {}, "
                                "maintenance_work_mem {}, slices up to {:.0f} % of the rows, {} runs per slice{}\n\n",
                                reports::grouped(rows), dataset.name, shared_buffers, maintenance_work_mem, 100 * slice_fraction, repeats,
                                agreement > 0 ? fmt::format(" (where each run commits, 2 when they agree within {:.0f} %)",
                                                            100 * agreement)
                                              : std::string());
  out += "| kind | slices (rows) | model | predicted | 90 % interval | other estimates | actual (median) | real runs | error | inside | classic | classic error | estimate / real wall |\n";
  out += "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::vector<double> errors, median_estimate_errors;
  int inside = 0, better_or_equal = 0;
  double estimate_wall = 0, real_wall = 0;
  for (const Row& r : results) {
    std::string slices;
    for (long long s : r.slices) slices += fmt::format("{}{}", slices.empty() ? "" : " / ", reports::grouped(s));
    const std::vector<double> others = r.predictions.size() > 1
                                           ? std::vector<double>(r.predictions.begin() + 1, r.predictions.end())
                                           : std::vector<double>{};
    const std::string other_estimates = others.empty()       ? std::string("none")
                                        : others.size() == 1 ? reports::human_seconds(others.front())
                                                             : runs_range(others);
    out += fmt::format("| {} | {} | {} | {} | {} – {} | {} | {} | {} | {:+.0f} % | {} | {} | {:+.0f} % | {:.2f} |\n", r.kind,
                       slices, r.model, reports::human_seconds(r.predicted), reports::human_seconds(r.low),
                       reports::human_seconds(r.high), other_estimates,
                       reports::human_seconds(r.actual), runs_range(r.actual_runs),
                       100 * r.error(),
                       r.inside() ? "yes" : "no", reports::human_seconds(r.classic), 100 * r.classic_error(),
                       r.actual > 0 ? r.estimate_wall / r.actual : 0.0);
    errors.push_back(std::abs(r.error()));
    if (r.actual > 0) median_estimate_errors.push_back(std::abs(estimators::median(r.predictions) / r.actual - 1));
    inside += r.inside();
    better_or_equal += std::abs(r.error()) <= std::abs(r.classic_error()) + 1e-9;
    estimate_wall += r.estimate_wall;
    real_wall += r.actual;
  }
  if (!results.empty()) {
    out += fmt::format("\nmedian |error| {:.1f} %, worst {:.1f} %; actual inside the 90 % interval for {}/{} kinds; "
                       "at least as accurate as the classic method for {}/{} kinds; estimate wall time / real "
                       "migration wall time {:.2f} (summed over kinds: {} / {})\n",
                       100 * estimators::median(errors), 100 * *std::max_element(errors.begin(), errors.end()), inside,
                       results.size(), better_or_equal, results.size(), real_wall > 0 ? estimate_wall / real_wall : 0.0,
                       reports::human_seconds(estimate_wall), reports::human_seconds(real_wall));
    std::string created;
    for (const Row& r : results) {
      for (size_t k = 0; k < r.wal_created.size(); ++k) {
        if (r.wal_created[k] < 1) continue;
        created += fmt::format("{}{} (run {}: {} segments of WAL, {} recycled ahead: about {} created)",
                               created.empty() ? "" : "; ", r.kind, k + 1, r.wal_written[k], r.wal_ahead[k],
                               r.wal_created[k]);
      }
    }
    if (!created.empty()) {
      out += fmt::format("real runs whose WAL outgrew pg_wal's recycled segments, which PostgreSQL then creates "
                         "(zero-filled and synced) during the run and the slices never do: {}\n",
                         created);
    }
    if (estimates > 1 && !median_estimate_errors.empty()) {
      out += fmt::format("with the median of {} estimates of each kind: median |error| {:.1f} %, worst {:.1f} %\n",
                         estimates, 100 * estimators::median(median_estimate_errors),
                         100 * *std::max_element(median_estimate_errors.begin(), median_estimate_errors.end()));
    }
  }
  std::cout << out << std::flush;
  if (!csv.empty()) {
    std::ofstream f(csv);
    f << "kind,rows,slice_rows,model,predicted_s,low_s,high_s,actual_s,error_pct,inside,classic_s,classic_error_pct,"
         "estimate_wall_s,actual_runs_s,predictions_s,wal_segments_ahead,wal_segments_written,wal_segments_created\n";
    for (const Row& r : results) {
      std::string slices;
      for (long long s : r.slices) slices += fmt::format("{}{}", slices.empty() ? "" : " ", s);
      std::string runs;
      for (double a : r.actual_runs) runs += fmt::format("{}{:.6f}", runs.empty() ? "" : " ", a);
      std::string predictions;
      for (double p : r.predictions) predictions += fmt::format("{}{:.6f}", predictions.empty() ? "" : " ", p);
      const auto joined = [](const std::vector<int>& v) {
        std::string text;
        for (int x : v) text += fmt::format("{}{}", text.empty() ? "" : " ", x);
        return text;
      };
      f << fmt::format("{},{},{},{},{:.6f},{:.6f},{:.6f},{:.6f},{:.1f},{},{:.6f},{:.1f},{:.3f},{},{},{},{},{}\n", r.kind,
                       rows, slices, r.model, r.predicted, r.low, r.high, r.actual, 100 * r.error(),
                       r.inside() ? "yes" : "no", r.classic, 100 * r.classic_error(), r.estimate_wall, runs, predictions,
                       joined(r.wal_ahead), joined(r.wal_written), joined(r.wal_created));
    }
    if (!f) throw sampler::InputError(fmt::format("{}: cannot write the CSV", csv));
  }
  server->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const migsim::sampler::Interrupted&) {
    std::cerr << "accuracy: interrupted; the throwaway server was stopped and deleted\n";
    return 130;
  } catch (const std::exception& e) {
    std::cerr << "accuracy: " << e.what() << "\n";
    return 3;
  }
}
