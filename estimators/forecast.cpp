#include "estimators/forecast.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <utility>

#include <fmt/format.h>

namespace migsim::estimators {

double t_quantile(int df, double confidence) {
  static constexpr std::array<std::pair<int, double>, 15> k90 = {{{1, 6.314},  {2, 2.920},  {3, 2.353},  {4, 2.132},
                                                                  {5, 2.015},  {6, 1.943},  {7, 1.895},  {8, 1.860},
                                                                  {9, 1.833},  {10, 1.812}, {12, 1.782}, {15, 1.753},
                                                                  {20, 1.725}, {30, 1.697}, {100000, 1.645}}};
  double t = 1.645;
  for (const auto& [d, q] : k90) {
    if (df <= d) {
      t = q;
      break;
    }
  }
  if (std::abs(confidence - 0.9) < 1e-9) return t;
  // Scale by the ratio of normal quantiles (0.95 -> 1.960, 0.8 -> 1.282).
  const double z = confidence >= 0.95 ? 1.960 : confidence >= 0.9 ? 1.645 : 1.282;
  return t * z / 1.645;
}

namespace {

constexpr double kMinPowerLawExponent = 0.95;
// A catalog-only change on the real table against the same on a copy: below,
// the commit's jitter; above, also the full-page images of the catalog pages
// it changes when a checkpoint came since they last changed (a copy's were
// written moments before: 1.5 kB of WAL on the copies, 55 kB on the real
// table after a CHECKPOINT, 1.8 -> 2.3 ms) and a session that has none of the
// table in its caches (1.9 to 5.9 ms in new sessions, where copies took 1.4
// to 3.3 ms).
constexpr double kCatalogJitterBelow = 0.002;
constexpr double kCatalogJitterAbove = 0.004;
constexpr double kClearlyBetter = 0.15;  // in |ln(predicted / measured)| on the held-out slice

std::vector<double> seconds_at(const std::vector<Point>& points, double rows) {
  std::vector<double> out;
  for (const Point& p : points) {
    if (p.rows == rows) out.push_back(p.seconds);
  }
  return out;
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

Forecast forecast(const std::vector<Point>& points, double target_rows, Scaling scaling, double confidence,
                  double min_relative_noise) {
  return forecast(points, target_rows, 0, scaling, confidence, min_relative_noise);
}

Forecast forecast(const std::vector<Point>& points, double target_rows, double target_bytes, Scaling scaling,
                  double confidence, double min_relative_noise, double min_seconds_per_row) {
  Forecast f;
  f.confidence = confidence;
  f.target_rows = target_rows;
  if (points.empty()) {
    f.reason = "no measurement";
    return f;
  }
  double largest = 0;
  for (const Point& p : points) largest = std::max(largest, p.rows);
  f.largest_measured_rows = largest;
  f.extrapolation_factor = largest > 0 ? target_rows / largest : 1;
  const std::vector<double> at_largest = seconds_at(points, largest);
  const double largest_min = *std::min_element(at_largest.begin(), at_largest.end());
  const double largest_max = *std::max_element(at_largest.begin(), at_largest.end());

  if (scaling == Scaling::constant) {
    std::vector<double> all;
    for (const Point& p : points) all.push_back(p.seconds);
    const Fit c = fit(Model::constant, points);
    f.model = Model::constant;
    f.predicted_seconds = median(all);
    const double se = c.prediction_error(target_rows);
    const double t = t_quantile(std::max(c.degrees_of_freedom, 1), confidence);
    f.low_seconds = std::min(*std::min_element(all.begin(), all.end()), std::max(0.0, f.predicted_seconds - t * se));
    f.high_seconds = std::max(*std::max_element(all.begin(), all.end()), f.predicted_seconds + t * se);
    // Milliseconds on the copy are not milliseconds on the table (see above).
    f.low_seconds = std::min(f.low_seconds, std::max(0.0, f.predicted_seconds - kCatalogJitterBelow));
    f.high_seconds = std::max(f.high_seconds, f.predicted_seconds + kCatalogJitterAbove);
    f.extrapolated = target_rows > largest;
    f.reason = "catalog-only change: its time does not depend on the table's size";
    return f;
  }

  if (target_rows <= largest) {
    f.model = Model::constant;
    f.predicted_seconds = median(at_largest);
    f.low_seconds = largest_min;
    f.high_seconds = largest_max;
    f.reason = "measured on every row of the table; no extrapolation";
    return f;
  }

  // Score each model by how well it predicts the largest slice from the smaller ones.
  std::vector<Point> smaller;
  for (const Point& p : points) {
    if (p.rows < largest) smaller.push_back(p);
  }
  int distinct_smaller = 0;
  {
    std::vector<double> rows;
    for (const Point& p : smaller) rows.push_back(p.rows);
    std::sort(rows.begin(), rows.end());
    distinct_smaller = static_cast<int>(std::unique(rows.begin(), rows.end()) - rows.begin());
  }
  const double measured_largest = median(at_largest);
  // When the sizes cannot tell how the time grows, all that can be assumed is
  // proportionality to the rows: exact for a constant cost per row, too high
  // by the fixed part otherwise; the interval reaches down to `low`.
  auto proportional = [&](std::string reason, double low) {
    f.model = Model::linear;
    f.predicted_seconds = measured_largest * f.extrapolation_factor;
    f.low_seconds = low;
    f.high_seconds = largest_max * f.extrapolation_factor * (1 + 3 * min_relative_noise);
    f.extrapolated = true;
    f.reason = std::move(reason);
    return f;
  };
  int distinct_all = distinct_smaller + 1;
  if (distinct_all < 2) {
    return proportional("one slice size only: scaled proportionally to the row count",
                        largest_min * f.extrapolation_factor * (1 - 3 * min_relative_noise));
  }

  // Work that grows with the rows takes at least as long on more rows; a fit
  // that a noisy small slice tilts below that (down to a negative slope) says
  // nothing about the full table.
  double smaller_largest = 0;
  for (const Point& p : smaller) smaller_largest = std::max(smaller_largest, p.rows);
  const double measured_smaller_largest = median(seconds_at(smaller, smaller_largest));
  // The bytes of the largest slice's copy, where every point has its copy's
  // bytes and they differ between sizes: then work that grows with the rows
  // is also fitted in bytes (the per-page and per-byte part of the work, on a
  // table whose bytes per row the slices do not share: bloat, wide or TOASTed
  // values, skew). A sort's work is in its keys, so not for Scaling::sorts.
  double largest_bytes = 0;
  {
    std::vector<double> bytes_at_largest;
    bool every = target_bytes > 0;
    std::set<double> sizes;
    std::set<std::pair<double, double>> slices;  // (rows, bytes)
    for (const Point& p : points) {
      every = every && p.bytes > 0;
      sizes.insert(p.bytes);
      slices.insert({p.rows, p.bytes});
      if (p.rows == largest) bytes_at_largest.push_back(p.bytes);
    }
    // Each slice size with bytes of its own (so that every fit in rows can be made in bytes).
    const bool distinct = sizes.size() == slices.size() && sizes.size() == static_cast<size_t>(distinct_all);
    if (every && distinct && (scaling == Scaling::grows || scaling == Scaling::writes_index_entries)) {
      largest_bytes = median(bytes_at_largest);
    }
  }
  // A model's size variable at the target and at the largest slice.
  auto target_size = [&](Model m) { return m == Model::linear_bytes ? target_bytes : target_rows; };
  auto largest_size = [&](Model m) { return m == Model::linear_bytes ? largest_bytes : largest; };

  std::vector<Fit> fits;
  std::vector<bool> floored;
  for (Model m : {Model::linear, Model::n_log_n, Model::power_law, Model::linear_bytes}) {
    // A comparison sort is never linear: slices a factor of 3 apart cannot
    // tell the log factor from noise, so linear is not a candidate for it.
    if (scaling == Scaling::sorts && m == Model::linear) continue;
    if (m == Model::linear_bytes && largest_bytes <= 0) continue;
    Candidate c;
    c.model = m;
    const Fit full = fit(m, points);
    // Work that touches every row grows at least linearly; a power law below
    // that only describes the fixed cost that dominates small slices (the
    // linear model's intercept holds it), and would shrink the per-row cost
    // as the table grows.
    if (m == Model::power_law && full.coefficients.size() == 2 && full.coefficients[1] < kMinPowerLawExponent) continue;
    const double extrapolated = full.predict(target_size(m));
    c.predicted_seconds = std::max(extrapolated, measured_largest);
    if (distinct_smaller >= 2) {
      const double held = std::max(fit(m, smaller).predict(largest_size(m)), measured_smaller_largest);
      c.held_out_error = std::abs(std::log(std::max(held, 1e-9) / std::max(measured_largest, 1e-9)));
    } else {
      c.held_out_error = full.relative_sigma;  // no room to hold a size out
    }
    f.candidates.push_back(c);
    fits.push_back(full);
    floored.push_back(extrapolated < measured_largest);
  }
  size_t best = 0;
  for (size_t i = 1; i < f.candidates.size(); ++i) {
    if (f.candidates[i].held_out_error < f.candidates[best].held_out_error) best = i;
  }
  // Keep the model the work's physics expects unless another is clearly
  // better on the held-out slice (by more than the 10-20 % that repeated
  // runs of one slice differ by): a scan or a rewrite is linear in the rows
  // it touches; a sort, and writing rows whose entries go into B-trees, grow
  // as n·log n.
  const Model expected =
      scaling == Scaling::sorts || scaling == Scaling::writes_index_entries ? Model::n_log_n : Model::linear;
  for (size_t i = 0; i < f.candidates.size(); ++i) {
    if (f.candidates[i].model == expected && i != best &&
        f.candidates[i].held_out_error <= f.candidates[best].held_out_error + kClearlyBetter) {
      best = i;
    }
  }

  // Work that reads every row takes at least the largest slice's time plus
  // the read of the rows it lacks (0 without `min_seconds_per_row`).
  auto read_floor_at = [&](double rows) { return measured_largest + min_seconds_per_row * (rows - largest); };
  if (floored[best] && min_seconds_per_row > 0) {
    // That floor, with scaling by the rows as the upper bound.
    proportional(fmt::format("the slices' times do not grow with their rows ({} fit falls below the largest slice's "
                             "{:.1f} ms): that time plus reading the other {:.0f} rows at the copies' {:.2f} µs per "
                             "row, up to scaling it by the rows",
                             model_name(f.candidates[best].model), 1e3 * measured_largest, target_rows - largest,
                             1e6 * min_seconds_per_row),
                 largest_min + min_seconds_per_row * (target_rows - largest));
    f.predicted_seconds = std::min(read_floor_at(target_rows), f.predicted_seconds);
    f.low_seconds = std::min(f.low_seconds, f.predicted_seconds);
    return f;
  }
  if (floored[best]) {
    return proportional(fmt::format("the slices' times do not grow with their rows ({} fit falls below the "
                                    "largest slice's {:.1f} ms): scaled proportionally to the row count, an upper "
                                    "bound when part of the time is fixed, down to that slice's time",
                                    model_name(f.candidates[best].model), 1e3 * measured_largest),
                        largest_min);
  }

  const Fit& chosen = fits[best];
  f.model = chosen.model;
  f.predicted_seconds = f.candidates[best].predicted_seconds;
  const bool raised = f.predicted_seconds < read_floor_at(target_rows);
  f.predicted_seconds = std::max(f.predicted_seconds, read_floor_at(target_rows));
  f.extrapolated = true;
  Fit widened = chosen;
  widened.relative_sigma = std::max(chosen.relative_sigma, min_relative_noise);
  const double se = widened.prediction_error(target_size(chosen.model));
  // Where the floor dominates, the noise level is taken as known (normal
  // quantile); otherwise it was estimated from few points (Student's t).
  const bool floor_dominates = chosen.relative_sigma < min_relative_noise;
  const double t = t_quantile(floor_dominates ? 100000 : std::max(chosen.degrees_of_freedom, 1), confidence);
  f.low_seconds = std::max(largest_min, f.predicted_seconds - t * se);
  f.high_seconds = f.predicted_seconds + t * se;
  const double best_error = f.candidates[best].held_out_error;
  for (const Candidate& c : f.candidates) {
    if (c.held_out_error <= std::max(2 * best_error, best_error + 0.1)) {
      f.low_seconds = std::min(f.low_seconds, std::max(largest_min, c.predicted_seconds));
      f.high_seconds = std::max(f.high_seconds, c.predicted_seconds);
    }
  }
  // A sort's slices cannot tell n·log n from linear either way, and how much
  // of an index build is the sort depends on the key: the comparisons of a
  // numeric key dominate its build, while a timestamp key's build is mostly
  // the heap scan and the index writes (CREATE INDEX on datasets/orders'
  // updated_at took 0.64-0.89 µs per row at 48,000 rows and 0.52-0.73 at
  // 5,000,000, where n·log n expects 1.43x more per row). The interval reaches
  // down to what the linear fit says, at the same confidence.
  Fit linear = fit(Model::linear, points);
  linear.relative_sigma = std::max(linear.relative_sigma, min_relative_noise);
  const double t_linear = t_quantile(std::max(linear.degrees_of_freedom, 1), confidence);
  if (scaling == Scaling::sorts) {
    const double linear_low = linear.predict(target_rows) - t_linear * linear.prediction_error(target_rows);
    f.low_seconds = std::min(f.low_seconds, std::max(largest_min, std::max(linear_low, read_floor_at(target_rows))));
  }
  // Nor does it reach below what reading every row costs at the least: the
  // largest slice's fastest run and the rest of the table at the copies' speed.
  if (min_seconds_per_row > 0) {
    f.low_seconds = std::max(f.low_seconds, largest_min + min_seconds_per_row * (target_rows - largest));
  }
  // A fit whose slope is below the read shows none of the per-row work (a
  // fixed cost swamps the slices: an index build on 9,200-row slices of
  // datasets/events took 9-12 ms at every size, and 487 ms on 1,000,000
  // rows): as when the slices do not grow at all, the interval reaches up to
  // the largest slice scaled by the rows.
  // So does one whose slices show no growth they can tell from their noise:
  // the linear fit's slope, at the interval's confidence, may be 0 (the same
  // build on other 9,200-row slices took 7-10 ms at every size, its n·log n
  // fit said 146 ms, the table took 467 ms).
  const double slope_error =
      linear.covariance.size() == 4 ? linear.relative_sigma * std::sqrt(std::max(0.0, linear.covariance[3])) : 0;
  const bool flat = linear.coefficients.size() == 2 && linear.coefficients[1] <= t_linear * slope_error;
  if (raised || flat) {
    f.high_seconds =
        std::max(f.high_seconds, largest_max * f.extrapolation_factor * (1 + 3 * min_relative_noise));
  }
  f.low_seconds = std::min(f.low_seconds, f.predicted_seconds);
  f.high_seconds = std::max(f.high_seconds, f.predicted_seconds);
  f.reason = fmt::format("{} fit predicted the largest slice within {:.0f} % from the smaller ones; "
                         "extrapolated {:.1f}x",
                         model_name(f.model), 100 * (std::exp(best_error) - 1), f.extrapolation_factor);
  if (flat && !raised) {
    f.reason += ", from slices whose growth is within their noise (the linear slope may be 0 at this "
                "confidence): the interval reaches up to the largest slice scaled by the rows";
  }
  if (raised) {
    f.reason += fmt::format(", and raised to the largest slice's time plus reading the other {:.0f} rows at the "
                            "copies' {:.2f} µs per row, more than the fit's slope",
                            target_rows - largest, 1e6 * min_seconds_per_row);
  }

  double smallest = largest;
  for (const Point& p : points) smallest = std::min(smallest, p.rows);
  smallest = std::max(smallest, 1.0);
  constexpr int kCurvePoints = 24;
  // For the bytes model, bytes at `rows`: the largest slice's per row up to
  // it, then in a straight line to the table's.
  auto size_at = [&](double rows) {
    if (chosen.model != Model::linear_bytes) return rows;
    if (rows <= largest) return rows * largest_bytes / largest;
    return largest_bytes + (target_bytes - largest_bytes) * (rows - largest) / (target_rows - largest);
  };
  for (int i = 0; i <= kCurvePoints; ++i) {
    const double rows = smallest * std::pow(target_rows / smallest, static_cast<double>(i) / kCurvePoints);
    double seconds = chosen.predict(size_at(rows));
    // Beyond the largest slice, at least its time plus the read of the rows it lacks (as the prediction).
    if (raised && rows > largest) seconds = std::max(seconds, read_floor_at(rows));
    f.curve.emplace_back(rows, std::max(seconds, 1e-6));
  }
  return f;
}

}  // namespace migsim::estimators
