// Speed of the lock simulator: one simulated hour of 5,000 queries/s with a
// migration in the middle, against the floor of any event-driven simulator,
// one push and one pop on a binary heap of events of the same kind.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <queue>
#include <random>
#include <vector>

#include "sim/simulator.h"

namespace {

using namespace migsim::sim;

TrafficProfile busy_table() {
  TrafficProfile t;
  t.pool_size = 200;
  t.classes.push_back({"reads", LockMode::AccessShare, 4500, {}, {"lognormal", 2, 20}});
  t.classes.push_back({"writes", LockMode::RowExclusive, 500, {}, {"exponential", 4, 4}});
  return t;
}

void BM_SimulateOneHour(benchmark::State& state) {
  const double seconds = static_cast<double>(state.range(0));
  const TrafficProfile traffic = busy_table();
  MigrationTimeline m;
  m.steps.push_back({"ALTER TABLE", LockMode::AccessExclusive, seconds / 2, 2});
  m.lock_timeout_s = 0.5;
  m.retries = 3;
  SimulationOptions o;
  o.duration_s = seconds;
  long long events = 0;
  for (auto _ : state) {
    const SimulationResult r = simulate(traffic, m, o);
    events += r.events;
    benchmark::DoNotOptimize(r.wait.p99_ms);
  }
  // ns per event = 1e9 / events_per_s; compare with BM_HeapPushPop's time.
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulateOneHour)->Arg(3600)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_SimulateOneHour)->Arg(60)->Unit(benchmark::kMillisecond);

// The same shape of event the simulator queues.
struct HeapEvent {
  double t;
  std::uint64_t seq;
  int type;
  std::uint64_t tx;
  int index;
  int token;
  bool operator>(const HeapEvent& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

void BM_HeapPushPop(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  std::mt19937_64 rng(1);
  std::exponential_distribution<double> gap(1000);
  std::priority_queue<HeapEvent, std::vector<HeapEvent>, std::greater<>> heap;
  double now = 0;
  std::uint64_t seq = 0;
  for (size_t i = 0; i < size; ++i) heap.push({now + gap(rng), seq++, 0, i, 0, 0});
  for (auto _ : state) {
    const HeapEvent e = heap.top();
    heap.pop();
    now = e.t;
    heap.push({now + gap(rng) * static_cast<double>(size), seq++, 0, e.tx, 0, 0});
  }
  benchmark::DoNotOptimize(now);
}
BENCHMARK(BM_HeapPushPop)->Arg(16)->Arg(64)->Arg(1024);

}  // namespace
