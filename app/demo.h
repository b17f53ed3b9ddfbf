#pragma once
// `migsim demo`: the whole pipeline on a server and a table it makes itself.

#include "app/estimate_pipeline.h"
#include "reports/estimate_report.h"

namespace migsim::app {

struct DemoOptions {
  long long rows = 1'000'000;
  bool verify = false;  // also run the migration for real on the full table
  EstimateOptions estimate;  // dsn and table are the demo's own
};

// Starts a throwaway server, loads datasets/orders with `rows` rows, estimates
// datasets/orders/migrations/quantity_to_bigint.sql on it and returns the
// report; the server is stopped and its directory deleted before returning or
// throwing.
reports::EstimateReport run_demo(const DemoOptions& options);

}  // namespace migsim::app
