#include "app/demo.h"

#include <fmt/format.h>

#include "datasets/datasets.h"
#include "sampler/dataset_loader.h"
#include "sampler/local_server.h"

namespace migsim::app {

reports::EstimateReport run_demo(const DemoOptions& options) {
  const sampler::ProgressFn& progress = options.estimate.sampling.progress;
  sampler::LocalServerOptions server_options;
  server_options.progress = progress;
  const std::unique_ptr<sampler::LocalServer> server = sampler::LocalServer::start(server_options);

  const sampler::GeneratorScript orders{datasets::file("orders/schema.sql"), datasets::file("orders/generate.sql"),
                                        datasets::file("orders/indexes.sql")};
  sampler::load_dataset(server->dsn(), orders, "orders", options.rows, progress);

  const std::string path = "orders/migrations/quantity_to_bigint.sql";
  const migration::Migration m = migration::parse_migration(datasets::file(path), "datasets/" + path);
  EstimateOptions e = options.estimate;
  e.dsn = server->dsn();
  e.table = "public.orders";
  reports::EstimateReport report = estimate(m, e);

  if (options.verify) {
    if (progress) progress("--verify: running the migration for real on the full table");
    const std::vector<double> actual = sampler::run_in_place(server->dsn(), m);
    double total = 0;
    for (reports::StatementEstimate& s : report.statements) {
      s.actual_seconds = actual.at(s.index);
      total += actual.at(s.index);
    }
    report.actual_total_seconds = total;
  }
  if (progress) progress("stopping the throwaway server and deleting its directory");
  server->stop();
  return report;
}

}  // namespace migsim::app
