#include "estimators/batches.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "estimators/forecast.h"

namespace migsim::estimators {
namespace {

constexpr double kMinRelativeTotal = 0.10;  // what slices cannot show of the full run (WAL, cache)

// 10, 20, 50, 100, ... up to 10,000,000 rows.
std::vector<long long> nice_sizes() {
  std::vector<long long> out;
  for (long long decade = 10; decade <= 10'000'000; decade *= 10) {
    for (long long m : {1, 2, 5}) out.push_back(m * decade);
  }
  return out;
}

}  // namespace

BatchForecast batch_forecast(const std::vector<Point>& measured, long long batch_rows, double pause_seconds,
                             double rows_to_write, double target_batch_seconds, double confidence) {
  if (batch_rows < 1) throw std::invalid_argument("a batch has at least one row");
  if (measured.empty()) throw std::invalid_argument("no batch was measured");
  BatchForecast f;
  f.batch_rows = batch_rows;
  f.pause_seconds = pause_seconds;
  f.rows_to_write = std::max(0.0, rows_to_write);
  f.target_batch_seconds = target_batch_seconds;
  f.measured_batches = static_cast<int>(measured.size());
  f.batches = static_cast<long long>(std::ceil(f.rows_to_write / static_cast<double>(batch_rows)));
  const auto b = static_cast<double>(batch_rows);

  std::set<double> sizes;
  for (const Point& p : measured) sizes.insert(p.rows);
  // One batch of `rows` rows: its point estimate and 90 % interval.
  struct Batch {
    double seconds, low, high;
  };
  std::function<Batch(double)> one;
  double mean_low = 0, mean_high = 0;  // of one batch of batch_rows, averaged over many
  if (sizes.size() < 2) {
    // Every batch had the same size: a rate per row, its spread from the batches'.
    std::vector<double> rates;
    for (const Point& p : measured) rates.push_back(p.seconds / std::max(p.rows, 1.0));
    const double rate = median(rates);
    const double lo = *std::min_element(rates.begin(), rates.end());
    const double hi = *std::max_element(rates.begin(), rates.end());
    f.seconds_per_row = rate;
    one = [=](double rows) { return Batch{rate * rows, lo * rows, hi * rows}; };
    mean_low = lo * b;
    mean_high = hi * b;
  } else {
    const Fit line = fit(Model::linear, measured);
    const double t = t_quantile(std::max(line.degrees_of_freedom, 1), confidence);
    f.overhead_seconds = std::max(0.0, line.coefficients.at(0));
    f.seconds_per_row = std::max(0.0, line.coefficients.at(1));
    one = [=, &f](double rows) {
      const double seconds = std::max(f.overhead_seconds + f.seconds_per_row * rows, 1e-6);
      const double e = t * line.prediction_error(rows);
      return Batch{seconds, std::max(0.0, seconds - e), seconds + e};
    };
    const double seconds = one(b).seconds;
    mean_low = std::max(0.0, seconds - t * line.mean_error(b));
    mean_high = seconds + t * line.mean_error(b);
  }
  const Batch at = one(b);
  f.batch_seconds = at.seconds;
  f.batch_low_seconds = at.low;
  f.batch_high_seconds = at.high;
  const auto n = static_cast<double>(f.batches);
  const double pauses = n * pause_seconds;
  f.total_seconds = n * at.seconds + pauses;
  f.total_low_seconds = std::min(n * mean_low, n * at.seconds * (1 - kMinRelativeTotal)) + pauses;
  f.total_high_seconds = std::max(n * mean_high, n * at.seconds * (1 + kMinRelativeTotal)) + pauses;

  for (long long size : nice_sizes()) {
    if (one(static_cast<double>(size)).high <= target_batch_seconds) f.recommended_batch_rows = size;
  }
  if (f.recommended_batch_rows > 0) {
    f.reason = fmt::format("{} rows is the largest round batch whose 90 % upper bound ({:.0f} ms) stays under the "
                           "{:.0f} ms target",
                           f.recommended_batch_rows, 1e3 * one(static_cast<double>(f.recommended_batch_rows)).high,
                           1e3 * target_batch_seconds);
  } else {
    f.reason = fmt::format("even a batch of 10 rows may take {:.0f} ms, over the {:.0f} ms target: the per-batch "
                           "overhead dominates",
                           1e3 * one(10).high, 1e3 * target_batch_seconds);
  }
  return f;
}

}  // namespace migsim::estimators
