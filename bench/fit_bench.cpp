// Cost of the estimators' model fitting and forecasting, which run once per
// statement of every migration: they must stay negligible next to sampling.
#include <benchmark/benchmark.h>

#include <random>

#include "estimators/forecast.h"
#include "estimators/scaling.h"

namespace {

using migsim::estimators::Point;

std::vector<Point> points(int sizes, int repeats) {
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0.0, 0.08);
  std::vector<Point> pts;
  double rows = 1000;
  for (int s = 0; s < sizes; ++s, rows *= 3) {
    for (int r = 0; r < repeats; ++r) pts.push_back({rows, (0.01 + 3e-6 * rows) * (1 + noise(rng))});
  }
  return pts;
}

void BM_FitLinear(benchmark::State& state) {
  const auto pts = points(static_cast<int>(state.range(0)), 3);
  for (auto _ : state) benchmark::DoNotOptimize(migsim::estimators::fit(migsim::estimators::Model::linear, pts));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pts.size()));
}
BENCHMARK(BM_FitLinear)->Arg(3)->Arg(6)->Arg(12);

void BM_Forecast(benchmark::State& state) {
  const auto pts = points(static_cast<int>(state.range(0)), 3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(migsim::estimators::forecast(pts, 1e12, migsim::estimators::Scaling::grows));
  }
}
BENCHMARK(BM_Forecast)->Arg(3)->Arg(6)->Arg(12);

}  // namespace
