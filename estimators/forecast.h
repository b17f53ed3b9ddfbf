#pragma once
// From measurements on slices to a prediction for the full table, with an
// interval that is honest about both measurement noise and the choice of
// model.

#include <string>
#include <vector>

#include "estimators/scaling.h"

namespace migsim::estimators {

// How the statement's cost is expected to scale, known from the statement
// itself (migration/'s effect class), not from timings.
enum class Scaling {
  constant,  // catalog-only: the table's size does not matter
  grows,     // reads or writes every row (scans, rewrites, DELETE): linear unless the data say otherwise
  sorts,     // sorts every row (index builds): n·log n unless the data say otherwise
  // Writes rows into a table with indexes (UPDATE, INSERT): each row written
  // adds an entry to every index, a descent of a B-tree whose depth and
  // cache misses grow with log n, so n·log n unless the data say otherwise
  // (linear stays a candidate). An UPDATE of every row of a 3-index copy of
  // datasets/orders took 20.7, 23.0, 23.4 and 26.0 µs per row at 100,000,
  // 300,000, 1,000,000 and 2,000,000 rows (n·log n from the first: 22.7,
  // 24.8, 26.1); of a 7-index copy of datasets/events 42.5, 46.4 and 53.3 µs
  // at 20,000, 100,000 and 400,000 rows (49.4, 55.4).
  writes_index_entries,
};

struct Candidate {
  Model model = Model::linear;
  double predicted_seconds = 0;
  double held_out_error = 0;  // |ln(predicted / measured)| at the largest slice, fitted without it
};

struct Forecast {
  Model model = Model::constant;
  double predicted_seconds = 0;
  double low_seconds = 0;    // interval, `confidence` two-sided
  double high_seconds = 0;
  double confidence = 0.9;
  double target_rows = 0;
  double largest_measured_rows = 0;
  double extrapolation_factor = 1;  // target / largest slice
  bool extrapolated = false;
  std::vector<Candidate> candidates;  // every model tried, for the report
  std::string reason;                 // why this model, in a sentence
  // The chosen model sampled from the smallest measured size to the target
  // (log-spaced), for plots: (rows, seconds).
  std::vector<std::pair<double, double>> curve;
};

// Predicts the seconds at `target_rows` from `points`. With no points, a zero
// forecast with a reason. For Scaling::constant, the median time, its interval
// at least 2 ms below and 4 ms above (what the real table adds: see forecast.cpp). When the
// largest slice already holds every row, the
// measurements at that size are the answer (no extrapolation). Otherwise,
// for Scaling::grows: linear, n·log n and power-law models (the latter only
// with an exponent of at least 0.95: growing work is never sublinear; for
// Scaling::sorts, no linear model: a sort is not linear) are each fitted
// without the largest slice and scored on it; the one the physics expects
// (linear for Scaling::grows, n·log n for Scaling::sorts and
// Scaling::writes_index_entries) unless another
// predicts the held-out slice better by more than 0.15 in |ln(predicted /
// measured)|, is refitted on every point and extrapolated. The interval is the fit's
// prediction interval (relative noise at least `min_relative_noise`), widened
// to take in the predictions of every model that scored nearly as well, and
// up to the largest slice scaled by the rows where the slices' growth is
// within their noise (the linear fit's slope may be 0 at `confidence`): such
// slices cannot show the per-row work.
Forecast forecast(const std::vector<Point>& points, double target_rows, Scaling scaling, double confidence = 0.9,
                  double min_relative_noise = 0.10);

// The same, for a table of `target_bytes` (pg_table_size): when every point
// carries its copy's bytes, work that grows with the rows (Scaling::grows,
// Scaling::writes_index_entries) is
// also fitted linearly in bytes, scored on the held-out slice like the others
// and, when it scores nearly as well, held in the interval: the linear model
// in rows stays the one extrapolated unless bytes predict the held-out slice
// clearly better (slices whose bytes per row differ from one another).
//
// `min_seconds_per_row` (0: none) is what each row of the full table costs at
// least: reading it (the copies' sequential scan, per row, times the passes
// the statement makes). The prediction is at least the largest slice's time
// plus that cost for the rows it lacks: where a fixed cost (hashing a
// referenced table) swamps the slices' per-row work, their slope is noise and
// may be far below it. Where the fit even falls below the largest slice, the
// prediction is that sum, up to proportional scaling; without a
// `min_seconds_per_row`, proportional scaling (an upper bound when part of
// the time is fixed).
Forecast forecast(const std::vector<Point>& points, double target_rows, double target_bytes, Scaling scaling,
                  double confidence = 0.9, double min_relative_noise = 0.10, double min_seconds_per_row = 0);

// Student's t quantile for a two-sided interval of `confidence` with `df`
// degrees of freedom (tabulated for 90 %; other confidences scaled by the
// normal quantiles).
double t_quantile(int df, double confidence);

// The median of `values` (0 for none).
double median(std::vector<double> values);

// Thresholds of the release gate, in seconds.
struct Thresholds {
  double warning_seconds = 300;    // 5 minutes
  double critical_seconds = 3600;  // 1 hour
};

}  // namespace migsim::estimators
