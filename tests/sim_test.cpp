// The lock simulator against cases with known answers.
#include <gtest/gtest.h>

#include "sim/lock_queue.h"
#include "sim/simulator.h"

namespace migsim::sim {
namespace {

TrafficProfile reads(double rate, int pool = 5000) {
  TrafficProfile t;
  t.pool_size = pool;
  TrafficClass k;
  k.name = "reads";
  k.lock_mode = LockMode::AccessShare;
  k.rate_per_s = rate;
  k.service = {"fixed", 1, 1};
  t.classes.push_back(k);
  return t;
}

MigrationTimeline one_step(LockMode mode, double start, double hold) {
  MigrationTimeline m;
  m.steps.push_back({"ALTER TABLE", mode, start, hold});
  return m;
}

TEST(LockQueue, WaitersBlockLaterCompatibleRequests) {
  LockQueue q;
  EXPECT_TRUE(q.request(1, LockMode::AccessShare));       // a long reader
  EXPECT_FALSE(q.request(2, LockMode::AccessExclusive));  // the ALTER queues behind it
  EXPECT_FALSE(q.request(3, LockMode::AccessShare));      // a new reader queues behind the ALTER
  EXPECT_EQ(q.waiting(), 2);
  // The reader that already holds AccessShareLock asks for more: it goes ahead of the ALTER.
  EXPECT_TRUE(q.request(1, LockMode::RowExclusive));
  // The long reader commits: the ALTER gets its lock, the new reader still waits.
  EXPECT_EQ(q.release_all(1), (std::vector<TxId>{2}));
  EXPECT_EQ(q.waiting(), 1);
  EXPECT_EQ(q.release_all(2), (std::vector<TxId>{3}));
}

TEST(LockQueue, CancellingAWaiterReleasesThoseBehindIt) {
  LockQueue q;
  EXPECT_TRUE(q.request(1, LockMode::AccessShare));
  EXPECT_FALSE(q.request(2, LockMode::AccessExclusive));
  EXPECT_FALSE(q.request(3, LockMode::AccessShare));
  EXPECT_FALSE(q.request(4, LockMode::RowExclusive));
  EXPECT_EQ(q.cancel(2), (std::vector<TxId>{3, 4}));  // lock_timeout: the pile-up dissolves
  EXPECT_EQ(q.waiting(), 0);
}

TEST(Simulator, NoConflictNoWait) {
  SimulationOptions o;
  o.seed = 7;
  const SimulationResult r = simulate(reads(1000), one_step(LockMode::ShareUpdateExclusive, 1, 5), o);
  EXPECT_GT(r.queries, 5000);
  EXPECT_EQ(r.blocked_queries, 0);
  EXPECT_EQ(r.wait.max_ms, 0);
  EXPECT_NEAR(*r.migration_finished_at_s, 6.0, 1e-9);
}

TEST(Simulator, PoissonReadsBehindAnExclusiveHoldBlockLambdaTimesHWithMeanWaitHalfH) {
  const double lambda = 200;
  const double hold = 5;
  SimulationOptions o;
  o.seed = 11;
  const SimulationResult r = simulate(reads(lambda), one_step(LockMode::AccessExclusive, 2, hold), o);
  EXPECT_NEAR(static_cast<double>(r.blocked_queries), lambda * hold, lambda * hold * 0.10);
  // Waits of the blocked are uniform on (0, H): median H/2, max about H.
  EXPECT_NEAR(r.wait_blocked.p50_ms, hold / 2 * 1e3, hold / 2 * 1e3 * 0.10);
  EXPECT_NEAR(r.wait_blocked.max_ms, hold * 1e3, hold * 1e3 * 0.02);
  EXPECT_NEAR(static_cast<double>(r.max_queue_depth), lambda * hold, lambda * hold * 0.10);
  EXPECT_NEAR(*r.migration_finished_at_s, 7.0, 1e-9);
}

TEST(Simulator, AnAlterQueuedBehindALongReaderBlocksEveryLaterReader) {
  TrafficProfile t = reads(100);
  t.long_transactions.push_back({0, 10, LockMode::AccessShare});
  SimulationOptions o;
  o.seed = 3;
  const SimulationResult r = simulate(t, one_step(LockMode::AccessExclusive, 1, 2), o);
  // Readers arriving from t=1 until the ALTER commits at t=12 all wait.
  EXPECT_NEAR(static_cast<double>(r.blocked_queries), 100 * 11, 100 * 11 * 0.10);
  EXPECT_NEAR(*r.migration_finished_at_s, 12.0, 1e-9);
  EXPECT_NEAR(r.wait_blocked.max_ms, 11'000, 11'000 * 0.02);
}

TEST(Simulator, LockTimeoutWithRetriesBoundsTheDamageAndCanGiveUp) {
  TrafficProfile t = reads(100);
  t.long_transactions.push_back({0, 10.2, LockMode::AccessShare});
  MigrationTimeline m = one_step(LockMode::AccessExclusive, 1, 2);
  m.lock_timeout_s = 0.5;
  m.retries = 3;
  m.retry_backoff_s = 1;
  SimulationOptions o;
  o.seed = 5;
  const SimulationResult r = simulate(t, m, o);
  // Attempts at 1, 2.5, 5, 9.5 (backoff 1, 2, 4 s) each time out after 0.5 s: the reader holds until 10.2.
  EXPECT_EQ(r.migration_attempts, 4);
  EXPECT_TRUE(r.migration_failed);
  EXPECT_FALSE(r.migration_finished_at_s.has_value());
  EXPECT_NEAR(static_cast<double>(r.blocked_queries), 100 * 0.5 * 4, 100 * 0.5 * 4 * 0.30);
  EXPECT_LE(r.wait.max_ms, 500 + 1e-6);

  m.retries = 5;  // attempt 5, at 10 + 8 = 18 s, finds the table free
  const SimulationResult ok = simulate(t, m, o);
  EXPECT_FALSE(ok.migration_failed);
  EXPECT_EQ(ok.migration_attempts, 5);
  // 18 s + 2 s hold, plus at most one 1 ms read in service when the ALTER asks.
  EXPECT_GE(*ok.migration_finished_at_s, 20.0);
  EXPECT_LE(*ok.migration_finished_at_s, 20.001 + 1e-9);
}

TEST(Simulator, PoolExhaustionAndStatementTimeout) {
  SimulationOptions o;
  o.seed = 9;
  const SimulationResult pooled = simulate(reads(100, 10), one_step(LockMode::AccessExclusive, 1, 2), o);
  ASSERT_TRUE(pooled.pool_exhausted_at_s.has_value());
  EXPECT_GT(*pooled.pool_exhausted_at_s, 1.0);
  EXPECT_LT(*pooled.pool_exhausted_at_s, 1.5);  // ten arrivals at 100/s
  EXPECT_LE(pooled.max_queue_depth, 10);        // the pool caps the lock queue

  o.statement_timeout_s = 1.0;
  const SimulationResult timed = simulate(reads(100), one_step(LockMode::AccessExclusive, 1, 3), o);
  EXPECT_NEAR(static_cast<double>(timed.timed_out_queries), 100 * 2, 100 * 2 * 0.25);
  EXPECT_LE(timed.wait.max_ms, 1000 + 1e-6);
}

TEST(Simulator, DeterministicForASeed) {
  SimulationOptions o;
  o.seed = 42;
  TrafficProfile t = reads(300);
  t.classes[0].service = {"lognormal", 2, 20};
  const auto a = simulate(t, one_step(LockMode::AccessExclusive, 1, 1), o);
  const auto b = simulate(t, one_step(LockMode::AccessExclusive, 1, 1), o);
  EXPECT_EQ(a.queries, b.queries);
  EXPECT_EQ(a.blocked_queries, b.blocked_queries);
  EXPECT_EQ(a.wait.p99_ms, b.wait.p99_ms);
  EXPECT_EQ(a.queue_depth_series, b.queue_depth_series);
  o.seed = 43;
  EXPECT_NE(simulate(t, one_step(LockMode::AccessExclusive, 1, 1), o).queries, a.queries);
}

TEST(Simulator, ReplayedArrivalsAndBadInput) {
  TrafficProfile t = reads(0);
  t.classes[0].arrivals_s = {0.5, 1.5, 1.6, 2.5};
  SimulationOptions o;
  const SimulationResult r = simulate(t, one_step(LockMode::AccessExclusive, 1, 1), o);
  EXPECT_EQ(r.queries, 4);
  EXPECT_EQ(r.blocked_queries, 2);
  t.classes[0].service = {"lognormal", 10, 5};
  EXPECT_THROW(simulate(t, one_step(LockMode::AccessExclusive, 1, 1), o), std::invalid_argument);
}

}  // namespace
}  // namespace migsim::sim
