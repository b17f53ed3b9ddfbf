#pragma once
// Scaling models: how a statement's duration grows with the table's row count.
// Plain values in, plain values out (no server, no Eigen in the interface).

#include <string_view>
#include <vector>

namespace migsim::estimators {

// One measurement: the statement took `seconds` on a copy of `rows` rows
// taking `bytes` (pg_table_size; 0 when not known).
struct Point {
  double rows = 0;
  double seconds = 0;
  double bytes = 0;
};

enum class Model {
  constant,      // t = a                    (catalog-only changes)
  linear,        // t = a + b·n              (rewrites, scans, DML)
  n_log_n,       // t = a + b·n·ln n         (sorts: index builds)
  power_law,     // t = a·n^k                (anything else that grows)
  linear_bytes,  // t = a + b·B, B the table's bytes (work per page or per byte: wide, TOAST-heavy
                 // or bloated tables, whose bytes per row the slices need not share)
};

// What a model's size variable is for a measurement: its bytes for
// linear_bytes, its rows for the others.
double size_of(Model model, const Point& point);

std::string_view model_name(Model model);

// A fitted model. Fitting minimises relative error (timings' noise grows with
// their size), so the coefficients are those of a weighted least-squares fit
// with weights 1/t².
struct Fit {
  Model model = Model::constant;
  std::vector<double> coefficients;  // a, b (or a, k for the power law)
  double relative_sigma = 0;         // residual standard deviation, relative to t
  int points = 0;
  int degrees_of_freedom = 0;
  // Unscaled covariance of the coefficients (row-major p×p), in the model's
  // own space (log space for the power law); multiply by relative_sigma².
  std::vector<double> covariance;

  double predict(double rows) const;
  // Standard error of a new measurement at `rows`, in seconds (including the
  // uncertainty of the coefficients).
  double prediction_error(double rows) const;
  // Standard error of the fitted mean at `rows`, in seconds (the
  // coefficients' uncertainty only: what an average over many runs keeps).
  double mean_error(double rows) const;
};

// Fits `model` to `points`. Requires at least one point, and at least two
// distinct sizes (size_of) for the two-parameter models (throws
// std::invalid_argument otherwise). Non-positive times are clamped to 1 µs.
// The fit's predict() and errors take the model's size variable.
Fit fit(Model model, const std::vector<Point>& points);

}  // namespace migsim::estimators
