#include "estimators/scaling.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include <Eigen/Dense>

namespace migsim::estimators {
namespace {

constexpr double kMinSeconds = 1e-6;

// Design row of a linear-in-coefficients model.
Eigen::RowVectorXd basis(Model model, double n) {
  Eigen::RowVectorXd x(model == Model::constant ? 1 : 2);
  x(0) = 1.0;
  if (model == Model::linear || model == Model::linear_bytes) x(1) = n;
  if (model == Model::n_log_n) x(1) = n * std::log(std::max(n, 1.0));
  if (model == Model::power_law) x(1) = std::log(std::max(n, 1.0));
  return x;
}

}  // namespace

std::string_view model_name(Model model) {
  switch (model) {
    case Model::constant: return "constant";
    case Model::linear: return "linear";
    case Model::n_log_n: return "n_log_n";
    case Model::power_law: return "power_law";
    case Model::linear_bytes: return "linear_bytes";
  }
  return "unknown";
}

double size_of(Model model, const Point& point) { return model == Model::linear_bytes ? point.bytes : point.rows; }

Fit fit(Model model, const std::vector<Point>& points) {
  if (points.empty()) throw std::invalid_argument("fit: no points");
  const int p = model == Model::constant ? 1 : 2;
  std::set<double> distinct;
  for (const Point& pt : points) distinct.insert(size_of(model, pt));
  if (static_cast<int>(distinct.size()) < p) {
    throw std::invalid_argument("fit: a two-parameter model needs at least two distinct sizes");
  }
  const int m = static_cast<int>(points.size());
  Eigen::MatrixXd X(m, p);
  Eigen::VectorXd y(m);
  Eigen::VectorXd w(m);
  for (int i = 0; i < m; ++i) {
    const double t = std::max(points[i].seconds, kMinSeconds);
    X.row(i) = basis(model, size_of(model, points[i]));
    if (model == Model::power_law) {
      y(i) = std::log(t);  // log space: relative error is plain error
      w(i) = 1.0;
    } else {
      y(i) = t;
      w(i) = 1.0 / (t * t);
    }
  }
  const Eigen::VectorXd sw = w.cwiseSqrt();
  const Eigen::MatrixXd A = sw.asDiagonal() * X;
  const Eigen::VectorXd b = sw.asDiagonal() * y;
  const Eigen::VectorXd beta = A.colPivHouseholderQr().solve(b);
  const Eigen::MatrixXd cov = (A.transpose() * A).completeOrthogonalDecomposition().pseudoInverse();

  Fit f;
  f.model = model;
  f.points = m;
  f.degrees_of_freedom = m - p;
  f.coefficients.assign(beta.data(), beta.data() + beta.size());
  f.covariance.assign(cov.data(), cov.data() + cov.size());  // symmetric: order does not matter
  const Eigen::VectorXd residual = b - A * beta;
  f.relative_sigma = f.degrees_of_freedom > 0 ? std::sqrt(residual.squaredNorm() / f.degrees_of_freedom) : 0.0;
  return f;
}

double Fit::predict(double rows) const {
  const Eigen::RowVectorXd x = basis(model, rows);
  double v = 0;
  for (int i = 0; i < x.size(); ++i) v += x(i) * coefficients[i];
  return model == Model::power_law ? std::exp(v) : v;
}

double Fit::prediction_error(double rows) const {
  const Eigen::RowVectorXd x = basis(model, rows);
  const int p = static_cast<int>(x.size());
  const Eigen::Map<const Eigen::MatrixXd> cov(covariance.data(), p, p);
  const double leverage = (x * cov * x.transpose())(0, 0);
  const double pred = predict(rows);
  if (model == Model::power_law) {
    // log-space standard error, turned into seconds around the prediction.
    return pred * relative_sigma * std::sqrt(1.0 + leverage);
  }
  // Var(new t) = sigma² (t² + x C xᵀ) with relative noise sigma.
  return relative_sigma * std::sqrt(pred * pred + leverage);
}

double Fit::mean_error(double rows) const {
  const Eigen::RowVectorXd x = basis(model, rows);
  const int p = static_cast<int>(x.size());
  const Eigen::Map<const Eigen::MatrixXd> cov(covariance.data(), p, p);
  const double leverage = std::max(0.0, (x * cov * x.transpose())(0, 0));
  if (model == Model::power_law) return predict(rows) * relative_sigma * std::sqrt(leverage);
  return relative_sigma * std::sqrt(leverage);
}

}  // namespace migsim::estimators
