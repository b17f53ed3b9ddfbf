#pragma once
// A backfill run in batches: how long one batch takes as a function of its
// size (from the batches run on the copies), the whole run at the declared
// size with its pauses, and the batch size that keeps each batch under a
// target. Plain values in, plain values out.

#include <string>
#include <vector>

#include "estimators/scaling.h"

namespace migsim::estimators {

struct BatchForecast {
  long long batch_rows = 0;          // as declared
  double pause_seconds = 0;
  double rows_to_write = 0;          // on the full table
  long long batches = 0;             // ceil(rows_to_write / batch_rows)
  double overhead_seconds = 0;       // per batch, whatever its size (a of t = a + b·rows)
  double seconds_per_row = 0;        // b
  double batch_seconds = 0;          // one batch of batch_rows
  double batch_low_seconds = 0;      // 90 % interval of one batch
  double batch_high_seconds = 0;
  double total_seconds = 0;          // batches × (batch + pause)
  double total_low_seconds = 0;      // the fit's uncertainty (batches average their noise out), at least ±10 %
  double total_high_seconds = 0;
  double target_batch_seconds = 0.2;
  long long recommended_batch_rows = 0;  // largest 1-2-5 size whose batch's upper bound stays under the target; 0: none
  int measured_batches = 0;
  std::string reason;                // how the recommendation was found, in a sentence
};

// From `measured` (rows, seconds) of batches on the copies: a line t = a + b·rows
// fitted by relative least squares (estimators::fit), then the run on the full
// table. With fewer than two distinct batch sizes, the interval spans every
// measured batch's rate. Throws std::invalid_argument for a batch size below 1
// or no measurement.
BatchForecast batch_forecast(const std::vector<Point>& measured, long long batch_rows, double pause_seconds,
                             double rows_to_write, double target_batch_seconds = 0.2, double confidence = 0.9);

}  // namespace migsim::estimators
