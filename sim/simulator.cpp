#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <queue>
#include <random>
#include <stdexcept>
#include <unordered_map>

#include "sim/lock_queue.h"

namespace migsim::sim {
namespace {

// Log-bucketed histogram of waits in microseconds (1 % wide buckets): memory
// does not grow with the number of queries.
class WaitHistogram {
 public:
  void add(double seconds) {
    ++count_;
    max_ = std::max(max_, seconds);
    const double us = seconds * 1e6;
    if (us < 1) {
      ++zero_;
      return;
    }
    ++buckets_[static_cast<int>(std::floor(std::log(us) / kLogStep))];
  }
  long long count() const { return count_; }
  WaitSummary summary() const {
    return {percentile(0.50) * 1e3, percentile(0.95) * 1e3, percentile(0.99) * 1e3, max_ * 1e3};
  }

 private:
  static constexpr double kLogStep = 0.00995033;  // ln(1.01)
  double percentile(double q) const {
    if (count_ == 0) return 0;
    const long long rank = static_cast<long long>(std::ceil(q * static_cast<double>(count_)));
    long long seen = zero_;
    if (seen >= rank) return 0;
    for (const auto& [bucket, n] : buckets_) {
      seen += n;
      if (seen >= rank) return std::min(max_, std::exp((bucket + 0.5) * kLogStep) / 1e6);
    }
    return max_;
  }
  long long count_ = 0;
  long long zero_ = 0;
  double max_ = 0;
  std::map<int, long long> buckets_;
};

// Queue depth over time, at most `points` buckets: neighbours merge (keeping
// the maximum) when the series would grow past that.
class DepthSeries {
 public:
  explicit DepthSeries(int points) : points_(std::max(points, 2)) {}
  void record(double t, int depth) {
    auto index = static_cast<size_t>(t / width_);
    while (index >= static_cast<size_t>(points_)) {
      for (size_t i = 0; i < buckets_.size(); i += 2) {
        buckets_[i / 2] = std::max(buckets_[i], i + 1 < buckets_.size() ? buckets_[i + 1] : 0);
      }
      buckets_.resize((buckets_.size() + 1) / 2);
      width_ *= 2;
      index = static_cast<size_t>(t / width_);
    }
    if (buckets_.size() <= index) buckets_.resize(index + 1, last_);
    buckets_[index] = std::max(buckets_[index], depth);
    last_ = depth;
  }
  std::vector<std::pair<double, int>> points() const {
    std::vector<std::pair<double, int>> out;
    for (size_t i = 0; i < buckets_.size(); ++i) out.emplace_back(static_cast<double>(i) * width_, buckets_[i]);
    return out;
  }

 private:
  int points_;
  double width_ = 0.01;
  int last_ = 0;
  std::vector<int> buckets_;
};

// Service time sampler for one class.
class Service {
 public:
  explicit Service(const ServiceTime& s) : s_(s) {
    if (s.mean_ms < 0) throw std::invalid_argument("service mean must not be negative");
    if (s.dist == "lognormal") {
      if (s.p99_ms < s.mean_ms) throw std::invalid_argument("lognormal service p99 must not be below its mean");
      // mean = exp(mu + sigma^2/2), p99 = exp(mu + 2.326 sigma): the smaller root.
      constexpr double z = 2.3263478740;
      const double r = std::log(std::max(s.p99_ms, 1e-9) / std::max(s.mean_ms, 1e-9));
      const double disc = std::max(0.0, z * z - 2 * r);
      sigma_ = z - std::sqrt(disc);
      mu_ = std::log(std::max(s.mean_ms, 1e-9)) - sigma_ * sigma_ / 2;
    } else if (s.dist != "fixed" && s.dist != "exponential") {
      throw std::invalid_argument("service dist must be fixed, exponential or lognormal, not '" + s.dist + "'");
    }
  }
  double sample(std::mt19937_64& rng) const {
    if (s_.dist == "fixed") return s_.mean_ms / 1e3;
    if (s_.dist == "exponential") return std::exponential_distribution<double>(1e3 / std::max(s_.mean_ms, 1e-9))(rng);
    return std::exp(std::normal_distribution<double>(mu_, sigma_)(rng)) / 1e3;
  }

 private:
  ServiceTime s_;
  double mu_ = 0;
  double sigma_ = 0;
};

enum class EventType { arrival, service_done, statement_timeout, step_start, step_lock_timeout, step_commit,
                       long_start, long_end };

struct Event {
  double t;
  std::uint64_t seq;
  EventType type;
  TxId tx;
  int index;  // class, step or long-transaction index
  int token;  // attempt number, to ignore stale timeouts
  bool operator>(const Event& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

enum class TxKind { query, migration, long_running };

struct Tx {
  TxKind kind;
  int index;         // class / step / long transaction
  double arrival;    // queries: arrival; migration: request time
  bool waiting_lock = false;
  bool has_connection = false;
};

class Simulation {
 public:
  Simulation(const TrafficProfile& traffic, const MigrationTimeline& timeline, const SimulationOptions& options)
      : traffic_(traffic), timeline_(timeline), options_(options), rng_(options.seed), series_(options.series_points),
        free_connections_(traffic.pool_size) {
    if (traffic.pool_size < 1) throw std::invalid_argument("pool_size must be at least 1");
    for (const TrafficClass& k : traffic.classes) {
      if (k.rate_per_s < 0) throw std::invalid_argument("rate_per_s must not be negative");
      services_.emplace_back(k.service);
    }
    for (const MigrationStep& s : timeline.steps) {
      if (s.start_s < 0 || s.hold_s < 0) throw std::invalid_argument("step times must not be negative");
    }
  }

  SimulationResult run() {
    for (size_t c = 0; c < traffic_.classes.size(); ++c) schedule_arrival(static_cast<int>(c), 0, 0);
    for (size_t i = 0; i < traffic_.long_transactions.size(); ++i) {
      push(traffic_.long_transactions[i].start_s, EventType::long_start, 0, static_cast<int>(i));
    }
    if (!timeline_.steps.empty()) push(timeline_.steps[0].start_s, EventType::step_start, 0, 0);
    else migration_done_ = true;

    double stop_at = options_.duration_s > 0 ? options_.duration_s : std::numeric_limits<double>::infinity();
    while (!events_.empty()) {
      const Event e = events_.top();
      if (e.t > stop_at) break;
      events_.pop();
      now_ = e.t;
      ++result_.events;
      handle(e);
      if (options_.duration_s <= 0 && migration_done_ && std::isinf(stop_at) && locks_.waiting() == 0 &&
          pool_queue_.empty()) {
        stop_at = now_ + 1.0;  // a second of calm after the migration
      }
    }
    result_.simulated_s = std::isinf(stop_at) ? now_ : stop_at;
    result_.wait = waits_.summary();
    result_.wait_blocked = blocked_waits_.summary();
    result_.queue_depth_series = series_.points();
    return result_;
  }

 private:
  void push(double t, EventType type, TxId tx, int index, int token = 0) {
    events_.push({t, seq_++, type, tx, index, token});
  }

  void schedule_arrival(int c, double after, std::size_t replay_index) {
    const TrafficClass& k = traffic_.classes[c];
    if (!k.arrivals_s.empty()) {
      if (replay_index < k.arrivals_s.size()) {
        push(k.arrivals_s[replay_index], EventType::arrival, 0, c, static_cast<int>(replay_index));
      }
      return;
    }
    if (k.rate_per_s <= 0) return;
    push(after + std::exponential_distribution<double>(k.rate_per_s)(rng_), EventType::arrival, 0, c);
  }

  void depth_changed() {
    result_.max_queue_depth = std::max(result_.max_queue_depth, locks_.waiting());
    series_.record(now_, locks_.waiting());
  }

  // `tx` holds its connection (queries) and asks for the table's lock.
  void request_lock(TxId id, LockMode mode) {
    Tx& tx = txs_.at(id);
    if (locks_.request(id, mode)) {
      granted(id);
    } else {
      tx.waiting_lock = true;
      if (tx.kind == TxKind::query && options_.statement_timeout_s) {
        push(now_ + *options_.statement_timeout_s, EventType::statement_timeout, id, 0);
      }
      depth_changed();
    }
  }

  void granted(TxId id) {
    Tx& tx = txs_.at(id);
    tx.waiting_lock = false;
    if (tx.kind == TxKind::query) {
      const double wait = now_ - tx.arrival;
      waits_.add(wait);
      if (wait > 1e-9) {
        ++result_.blocked_queries;
        blocked_waits_.add(wait);
      }
      push(now_ + services_[tx.index].sample(rng_), EventType::service_done, id, 0);
    } else if (tx.kind == TxKind::migration) {
      push(now_ + timeline_.steps[tx.index].hold_s, EventType::step_commit, id, tx.index);
    }
  }

  void wake(const std::vector<TxId>& ids) {
    for (TxId id : ids) granted(id);
    depth_changed();
  }

  void start_query(TxId id) {
    Tx& tx = txs_.at(id);
    tx.has_connection = true;
    --free_connections_;
    request_lock(id, traffic_.classes[tx.index].lock_mode);
  }

  void finish_query(TxId id) {
    txs_.erase(id);
    ++free_connections_;
    if (!pool_queue_.empty()) {
      const TxId next = pool_queue_.front();
      pool_queue_.pop_front();
      start_query(next);
    }
  }

  void handle(const Event& e) {
    switch (e.type) {
      case EventType::arrival: {
        const TxId id = next_tx_++;
        txs_[id] = {TxKind::query, e.index, now_};
        ++result_.queries;
        if (free_connections_ > 0) {
          start_query(id);
        } else {
          if (!result_.pool_exhausted_at_s) result_.pool_exhausted_at_s = now_;
          pool_queue_.push_back(id);
        }
        schedule_arrival(e.index, now_, static_cast<std::size_t>(e.token) + 1);
        break;
      }
      case EventType::service_done:
        ++result_.completed;
        wake(locks_.release_all(e.tx));
        finish_query(e.tx);
        break;
      case EventType::statement_timeout: {
        auto it = txs_.find(e.tx);
        if (it == txs_.end() || !it->second.waiting_lock) break;
        ++result_.timed_out_queries;
        waits_.add(now_ - it->second.arrival);
        blocked_waits_.add(now_ - it->second.arrival);
        ++result_.blocked_queries;
        wake(locks_.cancel(e.tx));
        finish_query(e.tx);
        break;
      }
      case EventType::step_start: {
        const TxId id = next_tx_++;
        txs_[id] = {TxKind::migration, e.index, now_};
        ++result_.migration_attempts;
        ++attempt_;
        request_lock(id, timeline_.steps[e.index].lock_mode);
        if (txs_.count(id) && txs_.at(id).waiting_lock && timeline_.lock_timeout_s) {
          push(now_ + *timeline_.lock_timeout_s, EventType::step_lock_timeout, id, e.index, attempt_);
        }
        break;
      }
      case EventType::step_lock_timeout: {
        auto it = txs_.find(e.tx);
        if (it == txs_.end() || !it->second.waiting_lock || e.token != attempt_) break;
        txs_.erase(it);
        wake(locks_.cancel(e.tx));
        if (retries_used_ < timeline_.retries) {
          ++retries_used_;
          push(now_ + timeline_.retry_backoff_s * std::pow(2.0, retries_used_ - 1), EventType::step_start, 0, e.index);
        } else {
          result_.migration_failed = true;
          migration_done_ = true;
        }
        break;
      }
      case EventType::step_commit: {
        txs_.erase(e.tx);
        wake(locks_.release_all(e.tx));
        const size_t next = static_cast<size_t>(e.index) + 1;
        if (next < timeline_.steps.size()) {
          push(std::max(now_, timeline_.steps[next].start_s), EventType::step_start, 0, static_cast<int>(next));
        } else {
          result_.migration_finished_at_s = now_;
          migration_done_ = true;
        }
        break;
      }
      case EventType::long_start: {
        const TxId id = next_tx_++;
        txs_[id] = {TxKind::long_running, e.index, now_};
        const LongTransaction& l = traffic_.long_transactions[e.index];
        request_lock(id, l.lock_mode);
        push(now_ + l.duration_s, EventType::long_end, id, e.index);
        break;
      }
      case EventType::long_end: {
        auto it = txs_.find(e.tx);
        if (it == txs_.end()) break;
        const bool was_waiting = it->second.waiting_lock;
        txs_.erase(it);
        wake(was_waiting ? locks_.cancel(e.tx) : locks_.release_all(e.tx));
        break;
      }
    }
  }

  const TrafficProfile& traffic_;
  const MigrationTimeline& timeline_;
  const SimulationOptions& options_;
  std::mt19937_64 rng_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t seq_ = 0;
  double now_ = 0;
  LockQueue locks_;
  std::unordered_map<TxId, Tx> txs_;  // in flight or waiting
  std::deque<TxId> pool_queue_;        // waiting for a connection
  std::vector<Service> services_;
  WaitHistogram waits_;
  WaitHistogram blocked_waits_;
  DepthSeries series_;
  int free_connections_;
  TxId next_tx_ = 1;
  int attempt_ = 0;
  int retries_used_ = 0;
  bool migration_done_ = false;
  SimulationResult result_;
};

}  // namespace

SimulationResult simulate(const TrafficProfile& traffic, const MigrationTimeline& timeline,
                          const SimulationOptions& options) {
  return Simulation(traffic, timeline, options).run();
}

LockTimeoutAdvice recommend_lock_timeout(const TrafficProfile& traffic, const MigrationTimeline& timeline,
                                         const SimulationOptions& options, double target_p99_ms) {
  LockTimeoutAdvice advice;
  for (double timeout : {5.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05}) {
    for (int retries : {0, 1, 2, 3, 5, 10, 20}) {
      MigrationTimeline m = timeline;
      m.lock_timeout_s = timeout;
      m.retries = retries;
      const SimulationResult r = simulate(traffic, m, options);
      if (r.migration_finished_at_s && r.wait.p99_ms <= target_p99_ms) {
        return {true, timeout, retries, m.retry_backoff_s, r};
      }
      if (r.migration_finished_at_s) break;  // finished but too slow for readers: more retries won't help
    }
  }
  return advice;
}

}  // namespace migsim::sim
