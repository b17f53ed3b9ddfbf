#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "estimators/batches.h"
#include "estimators/forecast.h"
#include "estimators/lock_hold.h"
#include "estimators/regimes.h"
#include "estimators/scaling.h"

namespace migsim::estimators {
namespace {

std::vector<Point> synthetic(const std::function<double(double)>& truth, double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0.0, noise);
  std::vector<Point> pts;
  for (double rows : {1000.0, 3000.0, 10000.0, 30000.0, 100000.0}) {
    for (int r = 0; r < 3; ++r) pts.push_back({rows, truth(rows) * (1.0 + n(rng))});
  }
  return pts;
}

TEST(Fit, LinearRecoversKnownCoefficientsExactly) {
  const auto pts = synthetic([](double n) { return 0.004 + 2.5e-6 * n; }, 0.0, 1);
  const Fit f = fit(Model::linear, pts);
  ASSERT_EQ(f.coefficients.size(), 2u);
  EXPECT_NEAR(f.coefficients[0], 0.004, 1e-9);
  EXPECT_NEAR(f.coefficients[1], 2.5e-6, 1e-12);
  EXPECT_NEAR(f.relative_sigma, 0.0, 1e-9);
  EXPECT_NEAR(f.predict(1e7), 0.004 + 25.0, 1e-6);
}

TEST(Fit, LinearRecoversCoefficientsUnderFivePercentNoise) {
  const auto pts = synthetic([](double n) { return 0.010 + 4e-6 * n; }, 0.05, 7);
  const Fit f = fit(Model::linear, pts);
  EXPECT_NEAR(f.coefficients[1], 4e-6, 4e-6 * 0.10);
  EXPECT_NEAR(f.relative_sigma, 0.05, 0.03);
}

TEST(Fit, PowerLawRecoversExponent) {
  const auto pts = synthetic([](double n) { return 3e-7 * std::pow(n, 1.2); }, 0.0, 2);
  const Fit f = fit(Model::power_law, pts);
  EXPECT_NEAR(f.coefficients[1], 1.2, 1e-9);
  EXPECT_NEAR(std::exp(f.coefficients[0]), 3e-7, 1e-12);
}

TEST(Fit, NLogNRecoversCoefficients) {
  const auto pts = synthetic([](double n) { return 0.002 + 1e-7 * n * std::log(n); }, 0.0, 3);
  const Fit f = fit(Model::n_log_n, pts);
  EXPECT_NEAR(f.coefficients[0], 0.002, 1e-9);
  EXPECT_NEAR(f.coefficients[1], 1e-7, 1e-13);
}

TEST(Fit, TwoParameterModelsNeedTwoSizes) {
  EXPECT_THROW(fit(Model::linear, {{1000, 1.0}, {1000, 1.1}}), std::invalid_argument);
  EXPECT_NO_THROW(fit(Model::constant, {{1000, 1.0}, {1000, 1.1}}));
  EXPECT_THROW(fit(Model::constant, {}), std::invalid_argument);
}

TEST(Forecast, LinearTruthIsPredictedWithinNoiseAndInsideTheInterval) {
  const auto truth = [](double n) { return 0.02 + 3e-6 * n; };
  const auto pts = synthetic(truth, 0.05, 11);
  const Forecast f = forecast(pts, 1e7, Scaling::grows);
  EXPECT_EQ(f.model, Model::linear);
  EXPECT_TRUE(f.extrapolated);
  EXPECT_NEAR(f.extrapolation_factor, 100.0, 1e-9);
  EXPECT_NEAR(f.predicted_seconds, truth(1e7), truth(1e7) * 0.10);
  EXPECT_LE(f.low_seconds, truth(1e7));
  EXPECT_GE(f.high_seconds, truth(1e7));
  EXPECT_LT(f.low_seconds, f.predicted_seconds);
  EXPECT_GT(f.high_seconds, f.predicted_seconds);
}

TEST(Fit, LinearInBytesFitsTheBytes) {
  const std::vector<Point> pts = {{1000, 0.011, 2e5}, {3000, 0.031, 6e5}, {10000, 0.101, 2e6}};
  const Fit f = fit(Model::linear_bytes, pts);
  EXPECT_NEAR(f.coefficients[0], 0.001, 1e-9);
  EXPECT_NEAR(f.coefficients[1], 5e-8, 1e-14);
  EXPECT_NEAR(f.predict(2e9), 0.001 + 100.0, 1e-6);
  EXPECT_THROW(fit(Model::linear_bytes, {{1000, 1.0, 0}, {3000, 2.0, 0}}), std::invalid_argument);
}

// Slices of 200 bytes per row; the table holds 400 per row (bloat, or values
// the slices did not catch): work per byte is linear in rows on the slices,
// and twice that on the table.
std::vector<Point> per_byte_slices() {
  std::vector<Point> pts;
  for (double rows : {10000.0, 30000.0, 100000.0}) {
    for (double noise : {-0.03, 0.0, 0.03}) pts.push_back({rows, (0.002 + 1e-8 * 200 * rows) * (1 + noise), 200 * rows});
  }
  return pts;
}

TEST(Forecast, BytesPerRowTheSlicesDoNotShareWidenTheInterval) {
  const Forecast f = forecast(per_byte_slices(), 1e7, 400 * 1e7, Scaling::grows);
  // Rows and bytes predict the held-out slice equally well: the linear model in rows is
  // extrapolated, and the interval reaches up to what the table's bytes say.
  EXPECT_EQ(f.model, Model::linear);
  bool tried = false;
  for (const Candidate& c : f.candidates) tried = tried || c.model == Model::linear_bytes;
  EXPECT_TRUE(tried);
  EXPECT_NEAR(f.predicted_seconds, 0.002 + 1e-8 * 200 * 1e7, 1.0);
  EXPECT_GE(f.high_seconds, 0.002 + 1e-8 * 400 * 1e7 - 1.0);
  // Two slice sizes of the same bytes cannot be fitted in bytes: no bytes model, no failure.
  std::vector<Point> same = per_byte_slices();
  for (Point& p : same) {
    if (p.rows == 10000) p.bytes = 30000 * 200;
  }
  const Forecast shared = forecast(same, 1e7, 400 * 1e7, Scaling::grows);
  for (const Candidate& c : shared.candidates) EXPECT_NE(c.model, Model::linear_bytes);
  EXPECT_EQ(shared.model, Model::linear);
  // Without the table's bytes, no bytes model and an interval around the rows' prediction.
  const Forecast rows_only = forecast(per_byte_slices(), 1e7, Scaling::grows);
  for (const Candidate& c : rows_only.candidates) EXPECT_NE(c.model, Model::linear_bytes);
  EXPECT_LT(rows_only.high_seconds, 0.002 + 1e-8 * 300 * 1e7);
}

TEST(Forecast, SlicesOfUnequalWidthAreExtrapolatedInBytes) {
  // Skewed data: the larger slices caught wider rows (200, 400, 800 bytes per row), and the
  // time follows the bytes, as the table's 600 bytes per row will.
  std::vector<Point> pts;
  const double widths[] = {200, 400, 800};
  const double sizes[] = {10000, 30000, 100000};
  for (int k = 0; k < 3; ++k) {
    const double bytes = widths[k] * sizes[k];
    for (int r = 0; r < 3; ++r) pts.push_back({sizes[k], 0.001 + 2e-9 * bytes, bytes});
  }
  const Forecast f = forecast(pts, 1e7, 600 * 1e7, Scaling::grows);
  EXPECT_EQ(f.model, Model::linear_bytes) << f.reason;
  EXPECT_NEAR(f.predicted_seconds, 0.001 + 2e-9 * 600 * 1e7, 0.05);
  EXPECT_LE(f.low_seconds, f.predicted_seconds);
  EXPECT_GE(f.high_seconds, f.predicted_seconds);
  ASSERT_FALSE(f.curve.empty());
  EXPECT_NEAR(f.curve.back().second, f.predicted_seconds, 0.05);
  // A sort's work is in its keys: never fitted in bytes.
  for (const Candidate& c : forecast(pts, 1e7, 600 * 1e7, Scaling::sorts).candidates) {
    EXPECT_NE(c.model, Model::linear_bytes);
  }
}

TEST(Forecast, SuperlinearTruthPicksASuperlinearModel) {
  const auto truth = [](double n) { return 1e-8 * std::pow(n, 1.5); };
  const Forecast f = forecast(synthetic(truth, 0.0, 5), 1e6, Scaling::grows);
  EXPECT_NE(f.model, Model::linear);
  EXPECT_NEAR(f.predicted_seconds, truth(1e6), truth(1e6) * 0.25);
}

TEST(Forecast, CatalogOnlyIsConstantWhateverTheSize) {
  const std::vector<Point> pts = {{1000, 0.002}, {1000, 0.003}, {10000, 0.0025}, {100000, 0.002}};
  const Forecast f = forecast(pts, 1e9, Scaling::constant);
  EXPECT_EQ(f.model, Model::constant);
  EXPECT_NEAR(f.predicted_seconds, 0.00225, 1e-9);
  EXPECT_LE(f.low_seconds, 0.002);
  EXPECT_GE(f.high_seconds, 0.003);
  // Never a narrower margin than the real table's extra milliseconds: 2 ms below, 4 ms above.
  EXPECT_NEAR(f.low_seconds, 0.00025, 1e-9);
  EXPECT_NEAR(f.high_seconds, 0.00625, 1e-9);
}

TEST(Forecast, WholeTableMeasuredIsNotExtrapolated) {
  const std::vector<Point> pts = {{500, 0.010}, {500, 0.012}, {500, 0.011}};
  const Forecast f = forecast(pts, 500, Scaling::grows);
  EXPECT_FALSE(f.extrapolated);
  EXPECT_DOUBLE_EQ(f.predicted_seconds, 0.011);
  EXPECT_DOUBLE_EQ(f.low_seconds, 0.010);
  EXPECT_DOUBLE_EQ(f.high_seconds, 0.012);
}

TEST(Forecast, NoPointsGivesZeroWithAReason) {
  const Forecast f = forecast({}, 1e6, Scaling::grows);
  EXPECT_EQ(f.predicted_seconds, 0);
  EXPECT_FALSE(f.reason.empty());
}

TEST(LockHolds, OwnTransactionsAndExplicitBlocks) {
  // Statement 0: own transaction; 1..3 in one BEGIN..COMMIT block.
  const LockHolds h = lock_holds({{2.0, 8, -1, -1, -1, {}}, {0.0, 0, 0, -1, -1, {}}, {5.0, 8, 0, -1, -1, {}}, {1.0, 3, 0, -1, -1, {}}});
  EXPECT_DOUBLE_EQ(h.per_statement[0], 2.0);
  EXPECT_DOUBLE_EQ(h.per_statement[1], 0.0);
  EXPECT_DOUBLE_EQ(h.per_statement[2], 6.0);  // AccessExclusive held until the block's end
  EXPECT_DOUBLE_EQ(h.per_statement[3], 1.0);
  EXPECT_DOUBLE_EQ(h.max_by_mode.at(8), 6.0);
  EXPECT_DOUBLE_EQ(h.max_by_mode.at(3), 1.0);
}

TEST(LockHolds, PerRelationAndModeWithTheirIntervals) {
  // 0: own transaction; 1..4 one block (1 is BEGIN), 4 takes again a lock 2 took.
  std::vector<TimedStatement> st(5);
  st[0] = {2.0, 8, -1, 1.0, 3.0, {{"orders", 8}}};
  st[1] = {0.0, 0, 0, -1, -1, {}};
  st[2] = {3.0, 4, 0, 2.0, 4.0, {{"orders", 4}}};
  st[3] = {1.0, 8, 0, 0.5, 2.0, {{"orders", 8}, {"customers", 6}}};
  st[4] = {2.0, 4, 0, 1.0, 3.0, {{"orders", 4}}};
  const LockHolds h = lock_holds(st);
  ASSERT_EQ(h.by_relation.size(), 3u);
  const RelationHold& exclusive = h.by_relation[0];  // the block's hold (3 s) is longer than statement 0's (2 s)
  EXPECT_EQ(exclusive.relation, "orders");
  EXPECT_EQ(exclusive.mode, 8);
  EXPECT_DOUBLE_EQ(exclusive.seconds, 3.0);
  EXPECT_DOUBLE_EQ(exclusive.low_seconds, 1.5);
  EXPECT_DOUBLE_EQ(exclusive.high_seconds, 5.0);
  EXPECT_EQ(exclusive.first_statement, 0u);
  const RelationHold& share = h.by_relation[1];  // taken by 2, held to the block's end; 4 takes it again
  EXPECT_EQ(share.mode, 4);
  EXPECT_DOUBLE_EQ(share.seconds, 6.0);
  EXPECT_DOUBLE_EQ(share.low_seconds, 3.5);
  EXPECT_DOUBLE_EQ(share.high_seconds, 9.0);
  EXPECT_EQ(h.by_relation[2].relation, "customers");
  EXPECT_DOUBLE_EQ(h.by_relation[2].seconds, 3.0);
  EXPECT_DOUBLE_EQ(h.per_statement[4], 2.0);
}

TEST(Regimes, SettingsInBytes) {
  EXPECT_EQ(setting_bytes("256MB"), 256.0 * 1024 * 1024);
  EXPECT_EQ(setting_bytes("1GB"), 1024.0 * 1024 * 1024);
  EXPECT_EQ(setting_bytes("64kB"), 64.0 * 1024);
  EXPECT_EQ(setting_bytes("8192"), 8192.0);
  EXPECT_EQ(setting_bytes("lots"), 0.0);
}

TEST(Regimes, AWriteToEveryRowForcesCheckpointsAndFullPageImages) {
  WalInputs in;
  in.rows = 5e6;
  in.wal_bytes_per_row = 600;          // 3 GB at the slices' rate
  in.table_bytes = 900e6;
  in.unordered_index_bytes = 185e6;
  in.max_wal_size_bytes = 1024.0 * 1024 * 1024;
  const WalRegime w = wal_regime(in);
  // A checkpoint every 1 GB / 1.9 = 565 MB of WAL, which about 369,000 rows fill
  // (780 B each with their heap page's image, plus 277 MB of index images): 13.
  EXPECT_EQ(w.checkpoints, 13);
  EXPECT_NEAR(w.amplification, 2.55, 0.05);
  // Without the unordered indexes, only the heap's images: 180 B per row more.
  in.unordered_index_bytes = 0;
  EXPECT_NEAR(wal_regime(in).amplification, 780.0 / 600, 0.01);
  // A small write stays within one checkpoint interval.
  in = WalInputs{1e5, 1, 600, 18e6, 4e6, 1024.0 * 1024 * 1024, 0.9};
  EXPECT_EQ(wal_regime(in).checkpoints, 0);
  // Nothing written: nothing to amplify.
  in.wal_bytes_per_row = 0;
  EXPECT_EQ(wal_regime(in).amplification, 1);
}

// max_wal_size 1GB at checkpoint_completion_target 0.9: a checkpoint each 539 MB of WAL.
TEST(Regimes, MaxWalSizeRequestsACheckpointEachDistance) {
  const double gb = 1024.0 * 1024 * 1024;
  EXPECT_NEAR(checkpoint_distance_bytes(gb, 0.9), gb / 1.9, 1e-6);
  EXPECT_EQ(forced_checkpoints(0.5e9, gb, 0.9), 0);
  EXPECT_EQ(forced_checkpoints(0.6e9, gb, 0.9), 1);
  EXPECT_EQ(forced_checkpoints(1.6e9, gb, 0.9), 2);
  EXPECT_EQ(forced_checkpoints(1.6e9, 3 * gb, 0.9), 0);
  EXPECT_EQ(forced_checkpoints(1.6e9, 0, 0.9), 0);  // setting unknown
  EXPECT_EQ(forced_checkpoints(1.6e9, gb, 0), 1);   // a checkpoint each max_wal_size
  // Room for 1.6e9 B on top of up to today's distance: 1.6e9 × 1.9 + 1 GB.
  EXPECT_NEAR(max_wal_size_without_checkpoints(1.6e9, gb, 0.9), 1.6e9 * 1.9 + gb, 1e-3);
  EXPECT_EQ(forced_checkpoints(1.6e9, max_wal_size_without_checkpoints(1.6e9, gb, 0.9), 0.9), 0);
}

// ADD COLUMN ... DEFAULT random() on 5,000,000 rows of datasets/orders writes
// about 1.5e9 B of WAL: 90 segments of 16 MB, with a checkpoint requested
// each 33.7 (1 GB / 1.9) that completes 0.9 of that later. Measured (pg_wal
// counted before and after): with 24-27 recycled segments it created 37-40;
// with 64, none.
TEST(Regimes, AWriteCreatesTheWalSegmentsPgWalHasNotRecycled) {
  const double mb = 1024.0 * 1024;
  WalSegmentInputs in;
  in.wal_bytes = 1.5e9;
  in.segment_bytes = 16 * mb;
  in.segments_ahead = 24;
  in.min_wal_size_bytes = 80 * mb;
  in.max_wal_size_bytes = 1024 * mb;
  WalSegments w = wal_segments(in);
  EXPECT_EQ(w.needed, 90);
  // The first checkpoint completes after 64 segments and frees the 33 before its redo point.
  EXPECT_EQ(w.recycled_during, 33);
  // 24 recycled, then 40 created until it completes; its 33 cover the last 26.
  EXPECT_EQ(w.created_low, 40);
  EXPECT_EQ(w.created_high, 40);
  in.segments_ahead = 64;
  EXPECT_EQ(wal_segments(in).created_high, 0);
  // Unknown: from a full pg_wal (64) to min_wal_size's 5 less the one in use.
  in.segments_ahead = -1;
  w = wal_segments(in);
  EXPECT_EQ(w.created_low, 0);
  EXPECT_EQ(w.created_high, 60);
  // Without checkpoints during it (max_wal_size 4GB), every segment past the recycled ones is new.
  in.max_wal_size_bytes = 4096 * mb;
  in.segments_ahead = 24;
  w = wal_segments(in);
  EXPECT_EQ(w.recycled_during, 0);
  EXPECT_EQ(w.created_high, 66);
  // With wal_recycle off, no checkpoint renames a segment for reuse: all 90 are created.
  in.max_wal_size_bytes = 1024 * mb;
  in.recycle = false;
  in.segments_ahead = -1;
  w = wal_segments(in);
  EXPECT_EQ(w.recycled_during, 0);
  EXPECT_EQ(w.created_low, 90);
  in.recycle = true;
  // A few MB of WAL, or an unknown segment size: nothing to create.
  in.wal_bytes = 5 * mb;
  EXPECT_EQ(wal_segments(in).created_high, 0);
  in.wal_bytes = 1.5e9;
  in.segment_bytes = 0;
  EXPECT_EQ(wal_segments(in).needed, 0);
}

TEST(Regimes, ATableReadFromStorageAddsTheSlowerPagesToEveryPass) {
  // 4,096 pages of the source in 200 ms (49 us each), 2,700 of the copy in 27 ms (10 us each).
  ReadInputs in{4096, 0.2, 2700, 0.027, 140'000};
  ReadRegime r = read_regime(in);
  EXPECT_NEAR(r.source_seconds_per_page, 0.2 / 4096, 1e-12);
  EXPECT_NEAR(r.copy_seconds_per_page, 1e-5, 1e-12);
  EXPECT_NEAR(r.ratio, 4.88, 0.01);
  EXPECT_TRUE(r.from_storage);
  EXPECT_NEAR(r.extra_seconds, (0.2 / 4096 - 1e-5) * 140'000, 1e-9);  // 5.44 s
  // From memory, as fast as the copy or a stall's worth slower: nothing to add.
  in.source_seconds = 0.05;  // 1.2x
  r = read_regime(in);
  EXPECT_FALSE(r.from_storage);
  EXPECT_EQ(r.extra_seconds, 0);
  in.source_seconds = 0.0919;  // 2.24x, and 51 ms slower
  EXPECT_TRUE(read_regime(in).from_storage);
  in.source_seconds = 0.0899;  // 2.19x, but only 49 ms slower: a stall's worth
  EXPECT_FALSE(read_regime(in).from_storage);
  in = ReadInputs{40'000, 0.799, 2700, 0.027, 140'000};  // 399 ms slower, but under 2x per page
  EXPECT_FALSE(read_regime(in).from_storage);
  in.source_seconds = 0.801;  // 2x
  EXPECT_TRUE(read_regime(in).from_storage);
  // Nothing measured: nothing assumed.
  EXPECT_FALSE(read_regime({0, 0, 2700, 0.027, 140'000}).from_storage);
  EXPECT_FALSE(read_regime({4096, 0.2, 0, 0, 140'000}).from_storage);
}

TEST(Forecast, ASortIsNeverFittedLinear) {
  std::vector<Point> pts;
  for (double n : {10000.0, 30000.0, 100000.0}) {
    for (int r = 0; r < 3; ++r) pts.push_back({n, 0.01 + 4e-5 * n * (1 + 0.01 * r)});  // linear data
  }
  const Forecast sorted = forecast(pts, 5e6, Scaling::sorts);
  for (const Candidate& c : sorted.candidates) EXPECT_NE(c.model, Model::linear);
  EXPECT_NE(sorted.model, Model::linear);
  const Forecast scanned = forecast(pts, 5e6, Scaling::grows);
  EXPECT_EQ(scanned.model, Model::linear);
  // But the slices cannot rule linear growth out (a build whose comparisons
  // are cheap grows so): the sort's interval reaches down to the linear
  // fit's, whose prediction is far below the n·log n one.
  ASSERT_LT(scanned.predicted_seconds, 0.8 * sorted.predicted_seconds);
  EXPECT_LE(sorted.low_seconds, scanned.low_seconds + 1e-9);
  EXPECT_LT(sorted.low_seconds, scanned.predicted_seconds);
  EXPECT_GT(sorted.high_seconds, sorted.predicted_seconds);
}

// An index build on 1,300-9,200-row slices of datasets/events whose times do
// not grow (a fixed 9-13 ms; 487 ms real on 1,000,000 rows, 2026-12-02
// 10:45): the fits' noise reaches below zero, but the build reads every row,
// so the interval stops at the largest slice's fastest run plus the rest of
// the table at the copies' 0.059 µs per row; and as the fit's slope is below
// that read (the prediction is raised to it), the slices show none of the
// per-row work, so the interval reaches up to the largest slice scaled by the
// rows (it stopped at 433 ms).
TEST(Forecast, AnIntervalDoesNotReachBelowReadingEveryRow) {
  const std::vector<Point> pts = {{1297, 0.0088}, {1297, 0.0126}, {1297, 0.0099}, {3207, 0.0104}, {3207, 0.0105},
                                  {3207, 0.0109}, {9178, 0.0121}, {9178, 0.0112}, {9178, 0.0090}};
  const double floor = 0.0090 + 0.059e-6 * (1e6 - 9178);
  const Forecast without = forecast(pts, 1e6, 0, Scaling::sorts);
  ASSERT_LT(without.low_seconds, floor);
  const Forecast with = forecast(pts, 1e6, 0, Scaling::sorts, 0.9, 0.10, 0.059e-6);
  ASSERT_NE(with.reason.find("raised to the largest slice's time plus reading"), std::string::npos) << with.reason;
  EXPECT_NEAR(with.low_seconds, std::min(floor, with.predicted_seconds), 1e-9) << with.reason;
  EXPECT_NEAR(with.high_seconds, 0.0121 * 1e6 / 9178 * 1.3, 1e-9) << with.reason;
  EXPECT_GT(with.high_seconds, 0.487);
}

// Rows written into B-trees: the per-row cost grows with log n, as measured on
// copies of datasets/orders (an UPDATE of every row: 20.7 µs per row at
// 100,000 rows, 26.0 at 2,000,000). Linear data stay linear for a scan, and
// the n·log n expected for such writes holds unless linear is clearly better.
TEST(Forecast, WritesIntoIndexesAreExpectedToGrowAsNLogN) {
  const auto truth = [](double n) { return 0.02 + 1.8e-6 * n * std::log(n); };
  std::vector<Point> pts;
  for (double n : {10000.0, 30000.0, 100000.0}) {
    for (int r = 0; r < 3; ++r) pts.push_back({n, truth(n) * (1 + 0.02 * (r - 1))});
  }
  const Forecast writes = forecast(pts, 5e6, Scaling::writes_index_entries);
  EXPECT_EQ(writes.model, Model::n_log_n) << writes.reason;
  EXPECT_NEAR(writes.predicted_seconds, truth(5e6), 0.05 * truth(5e6));
  // The same points as a scan: linear is expected there, and it falls short of the truth by the log factor.
  const Forecast scan = forecast(pts, 5e6, Scaling::grows);
  EXPECT_EQ(scan.model, Model::linear) << scan.reason;
  EXPECT_LT(scan.predicted_seconds, 0.85 * truth(5e6));
  // Linear stays a candidate for writes.
  bool linear = false;
  for (const Candidate& c : writes.candidates) linear = linear || c.model == Model::linear;
  EXPECT_TRUE(linear);
}

}  // namespace
}  // namespace migsim::estimators

namespace migsim::estimators {
namespace {

TEST(Batches, TheRunIsBatchesTimesBatchPlusPauseAndTheRecommendationKeepsUnderTheTarget) {
  // t = 5 ms + 20 µs per row, with ±2 % noise, at four batch sizes.
  std::vector<Point> measured;
  const double noise[] = {1.02, 0.98, 1.01, 0.99};
  for (int k = 0; k < 12; ++k) {
    const double rows = 500.0 * (1 << (k % 4));
    measured.push_back({rows, (0.005 + 20e-6 * rows) * noise[k % 4]});
  }
  const BatchForecast f = batch_forecast(measured, 2000, 0.1, 1'000'000, 0.2);
  EXPECT_EQ(f.batches, 500);
  EXPECT_NEAR(f.batch_seconds, 0.045, 0.002);
  EXPECT_NEAR(f.overhead_seconds, 0.005, 0.001);
  EXPECT_NEAR(f.seconds_per_row, 20e-6, 1e-6);
  EXPECT_NEAR(f.total_seconds, 500 * (f.batch_seconds + 0.1), 1e-9);
  EXPECT_LT(f.total_low_seconds, f.total_seconds);
  EXPECT_GT(f.total_high_seconds, f.total_seconds);
  EXPECT_LE(f.batch_low_seconds, f.batch_seconds);
  // 5 ms + 20 µs × 5,000 = 105 ms fits 200 ms; 10,000 rows (205 ms) does not.
  EXPECT_EQ(f.recommended_batch_rows, 5000);
  EXPECT_EQ(batch_forecast(measured, 2000, 0, 1'000'000, 0.004).recommended_batch_rows, 0);
}

TEST(Batches, OneBatchSizeGivesARateAndItsSpread) {
  const BatchForecast f = batch_forecast({{100, 0.010}, {100, 0.012}, {100, 0.011}}, 100, 0, 1000, 0.2);
  EXPECT_EQ(f.batches, 10);
  EXPECT_NEAR(f.batch_seconds, 0.011, 1e-9);
  EXPECT_NEAR(f.batch_low_seconds, 0.010, 1e-9);
  EXPECT_NEAR(f.batch_high_seconds, 0.012, 1e-9);
  EXPECT_THROW(batch_forecast({}, 100, 0, 1000), std::invalid_argument);
  EXPECT_THROW(batch_forecast({{1, 1}}, 0, 0, 1000), std::invalid_argument);
}

}  // namespace
}  // namespace migsim::estimators

namespace migsim::estimators {
namespace {

TEST(Regimes, AReplayCatchesUpWithTheWritesMadeWhileItRuns) {
  // 100 writes/s over a 60 s copy, 1 ms each: 6 s, plus the 10 % written meanwhile, and so on.
  EXPECT_NEAR(replay_seconds(60, 100, 0.001), 6 / 0.9, 1e-9);
  EXPECT_DOUBLE_EQ(replay_seconds(60, 0, 0.001), 0);
  EXPECT_NEAR(replay_seconds(1, 2000, 0.001), 2 / 0.01, 1e-6);  // never catches up: capped, not infinite
}

}  // namespace
}  // namespace migsim::estimators

namespace migsim::estimators {
namespace {

// Work that grows with the rows cannot take less on the full table than it
// took on the largest slice, whatever a noisy small slice does to a fit. A
// rewrite of 555 / 1,666 / 5,000 rows whose smallest run caught a stall fits a
// negative slope (it was predicted at 0 s): the sizes show no growth, so the
// largest slice is scaled by the rows, down to its own time.
TEST(Forecast, GrowingWorkWhoseSlicesShowNoGrowthIsScaledByTheRows) {
  const std::vector<Point> flat = {{555, 0.050}, {1666, 0.004}, {5000, 0.004}};
  for (Scaling s : {Scaling::grows, Scaling::sorts}) {
    const Forecast f = forecast(flat, 200000, s);
    EXPECT_NEAR(f.predicted_seconds, 0.004 * 40, 1e-9) << f.reason;
    EXPECT_NEAR(f.low_seconds, 0.004, 1e-9);
    EXPECT_GT(f.high_seconds, f.predicted_seconds);
    EXPECT_NE(f.reason.find("do not grow with their rows"), std::string::npos) << f.reason;
  }
  // A fit that grows, however noisily, is kept; its slope may be 0 at the
  // interval's confidence, so the interval reaches up to the largest slice
  // scaled by the rows.
  const Forecast grows = forecast({{555, 0.030}, {1666, 0.008}, {5000, 0.012}}, 200000, Scaling::grows);
  EXPECT_GT(grows.predicted_seconds, 0.012);
  EXPECT_EQ(grows.reason.find("do not grow"), std::string::npos) << grows.reason;
  EXPECT_NE(grows.reason.find("growth is within their noise"), std::string::npos) << grows.reason;
  EXPECT_GE(grows.high_seconds, 0.012 * 40 * 1.3);
}

// CREATE INDEX on 1,297 / 3,207 / 9,178-row slices of datasets/events (12:40):
// 7-10 ms at every size, the worker's start and the sort's set-up. The
// n·log n fit said 146 ms and the interval reached 420 ms; the 1,000,000-row
// table took 397-485 ms. A slope within the noise says nothing of the
// per-row work: the interval reaches up to the largest slice scaled by the
// rows. Slices that grow clearly (a rewrite's, 6,000-48,000 rows) keep theirs.
TEST(Forecast, SlicesWhoseGrowthIsWithinTheirNoiseReachUpToProportional) {
  const std::vector<Point> flat = {{1297, 0.00692}, {1297, 0.00925}, {1297, 0.00844}, {3207, 0.00925}, {3207, 0.00928},
                                   {3207, 0.00990}, {9178, 0.00897}, {9178, 0.00855}, {9178, 0.00964}};
  const Forecast f = forecast(flat, 1e6, 0, Scaling::sorts, 0.9, 0.10, 0.07e-6);
  EXPECT_NE(f.reason.find("growth is within their noise"), std::string::npos) << f.reason;
  EXPECT_NEAR(f.high_seconds, 0.00964 * 1e6 / 9178 * 1.3, 1e-9) << f.reason;
  EXPECT_GT(f.high_seconds, 0.485);
  const std::vector<Point> rewrite = {{6278, 0.0436}, {6278, 0.0419}, {6278, 0.0457}, {16981, 0.0734}, {16981, 0.0815},
                                      {16981, 0.0950}, {48492, 0.2060}, {48492, 0.2329}, {48492, 0.1921}};
  const Forecast r = forecast(rewrite, 5e6, 0, Scaling::grows);
  EXPECT_EQ(r.reason.find("within their noise"), std::string::npos) << r.reason;
  EXPECT_LT(r.high_seconds, 0.2329 * 5e6 / 48492 * 1.3);
}

// Validating a foreign key of 20,000-row slices against 50,000 accounts: the
// hash of the accounts (about 25 ms) is most of each run, the slope between
// the sizes is noise, and scaling the largest slice by the rows came out
// 1.26 s against 212 ms real on 1,000,000 rows of datasets/events. The rows
// the slice lacks cost at least their read (here 0.2 µs per row, the copies'
// sequential scan): the largest slice's time plus that, with proportional
// scaling still the upper bound.
TEST(Forecast, FlatSlicesOfGrowingWorkAddTheRestOfTheTablesRead) {
  const std::vector<Point> flat = {{1942, 0.028}, {5897, 0.022}, {19460, 0.025}};
  const Forecast without = forecast(flat, 1e6, 0, Scaling::grows);
  EXPECT_NEAR(without.predicted_seconds, 0.025 * 1e6 / 19460, 1e-9) << without.reason;
  const Forecast with = forecast(flat, 1e6, 0, Scaling::grows, 0.9, 0.10, 0.2e-6);
  EXPECT_NEAR(with.predicted_seconds, 0.025 + 0.2e-6 * (1e6 - 19460), 1e-9) << with.reason;
  EXPECT_NEAR(with.low_seconds, with.predicted_seconds, 1e-9);
  EXPECT_GE(with.high_seconds, without.predicted_seconds);
  EXPECT_NE(with.reason.find("reading the other 980540 rows at the copies' 0.20 µs per row"), std::string::npos)
      << with.reason;
  // A read costlier than the whole time per row: never above proportional scaling.
  const Forecast capped = forecast(flat, 1e6, 0, Scaling::grows, 0.9, 0.10, 5e-6);
  EXPECT_NEAR(capped.predicted_seconds, without.predicted_seconds, 1e-9);
  // Slices that grow faster than their read are fitted as before.
  const std::vector<Point> growing = {{1942, 0.010}, {5897, 0.030}, {19460, 0.100}};
  EXPECT_NEAR(forecast(growing, 1e6, 0, Scaling::grows, 0.9, 0.10, 0.2e-6).predicted_seconds,
              forecast(growing, 1e6, 0, Scaling::grows).predicted_seconds, 1e-12);
  // A slope that is positive but below the read (9,182-row slices of the
  // same check: 22.5, 21.3 and 22.8 ms; fitted at 50.8 ms against 309 ms real).
  const std::vector<Point> creeping = {{1297, 0.0225}, {3209, 0.0213}, {9182, 0.0228}, {9182, 0.0230}};
  const Forecast fit_only = forecast(creeping, 1e6, 0, Scaling::grows);
  ASSERT_GT(fit_only.predicted_seconds, 0.0229);
  ASSERT_LT(fit_only.predicted_seconds, 0.0229 + 0.2e-6 * (1e6 - 9182));
  const Forecast raised = forecast(creeping, 1e6, 0, Scaling::grows, 0.9, 0.10, 0.2e-6);
  EXPECT_NEAR(raised.predicted_seconds, 0.0229 + 0.2e-6 * (1e6 - 9182), 1e-9) << raised.reason;
  EXPECT_LE(raised.low_seconds, raised.predicted_seconds);
  EXPECT_GE(raised.high_seconds, raised.predicted_seconds);
  EXPECT_NE(raised.reason.find("raised to the largest slice's time plus reading"), std::string::npos) << raised.reason;
  // Such slices show none of the per-row work: the interval reaches up to scaling the largest by the rows.
  EXPECT_GE(raised.high_seconds, 0.0230 * 1e6 / 9182);
  ASSERT_FALSE(raised.curve.empty());  // the plotted curve ends at the prediction
  EXPECT_NEAR(raised.curve.back().second, raised.predicted_seconds, 1e-9);
}

}  // namespace
}  // namespace migsim::estimators
