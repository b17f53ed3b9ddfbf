#include "estimators/regimes.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace migsim::estimators {

double checkpoint_distance_bytes(double max_wal_size_bytes, double checkpoint_completion_target) {
  if (max_wal_size_bytes <= 0) return 0;
  return max_wal_size_bytes / (1 + std::max(0.0, checkpoint_completion_target));
}

int forced_checkpoints(double wal_bytes, double max_wal_size_bytes, double checkpoint_completion_target) {
  const double distance = checkpoint_distance_bytes(max_wal_size_bytes, checkpoint_completion_target);
  if (distance <= 0 || wal_bytes <= 0) return 0;
  return static_cast<int>(wal_bytes / distance);
}

double max_wal_size_without_checkpoints(double wal_bytes, double max_wal_size_bytes,
                                        double checkpoint_completion_target) {
  return wal_bytes * (1 + std::max(0.0, checkpoint_completion_target)) + std::max(0.0, max_wal_size_bytes);
}

namespace {

struct SegmentWalk {
  int created = 0;
  int recycled = 0;
};

// Writes `needed` segments, starting with `ahead` recycled ones.
SegmentWalk walk_segments(int needed, int ahead, double distance_segments, double completion_target, int pool_cap) {
  SegmentWalk w;
  int pool = ahead;
  int next_checkpoint = 1;  // requested at k·D, completes at (k + completion target)·D
  for (int used = 0; used < needed; ++used) {
    while (distance_segments >= 1 && used >= (next_checkpoint + completion_target) * distance_segments) {
      const int freed = std::max(0, std::min(static_cast<int>(distance_segments), pool_cap - pool));
      w.recycled += freed;
      pool += freed;
      ++next_checkpoint;
    }
    if (pool > 0) {
      --pool;
    } else {
      ++w.created;
    }
  }
  return w;
}

}  // namespace

WalSegments wal_segments(const WalSegmentInputs& in) {
  WalSegments s;
  if (in.segment_bytes <= 0 || in.wal_bytes <= 0) return s;
  s.needed = static_cast<int>(std::ceil(in.wal_bytes / in.segment_bytes));
  const double distance =
      checkpoint_distance_bytes(in.max_wal_size_bytes, in.checkpoint_completion_target) / in.segment_bytes;
  const double cct = std::max(0.0, in.checkpoint_completion_target);
  int cap = in.max_wal_size_bytes > 0 ? static_cast<int>(in.max_wal_size_bytes / in.segment_bytes) : 0;
  if (!in.recycle) cap = 0;  // nothing recycled during the write (nor before it, when not counted)
  if (in.segments_ahead >= 0) {
    const SegmentWalk w =
        walk_segments(s.needed, in.segments_ahead, distance, cct, in.recycle ? std::max(cap, in.segments_ahead) : 0);
    s.recycled_during = w.recycled;
    s.created_low = s.created_high = w.created;
  } else {
    const SegmentWalk full = walk_segments(s.needed, cap, distance, cct, cap);
    const int least = std::max(0, static_cast<int>(in.min_wal_size_bytes / in.segment_bytes) - 1);
    const SegmentWalk empty = walk_segments(s.needed, std::min(least, cap), distance, cct, cap);
    s.recycled_during = empty.recycled;
    s.created_low = full.created;
    s.created_high = empty.created;
  }
  return s;
}

WalRegime wal_regime(const WalInputs& in) {
  WalRegime r;
  const double f = std::clamp(in.affected_fraction, 0.0, 1.0);
  r.slice_rate_bytes = in.rows * in.wal_bytes_per_row;
  r.full_bytes = r.slice_rate_bytes;
  const double written = f * in.rows;  // rows the statement writes
  if (r.slice_rate_bytes <= 0 || written < 1 || in.max_wal_size_bytes <= 0) return r;
  const double distance = checkpoint_distance_bytes(in.max_wal_size_bytes, in.checkpoint_completion_target);
  constexpr double kPage = 8192;
  // Per written row: its WAL on the slices, and the image of its heap page
  // (each heap page once: the statement passes over the heap in order).
  const double per_row = in.wal_bytes_per_row / f + f * in.table_bytes / written;
  // The unordered indexes' pages, grown on average by f/2 during the run
  // (a new entry per written row). Between two checkpoints, m written rows
  // touch P·(1 − e^(−m/P)) of them at random, each logged in full once.
  const double pages = f * in.unordered_index_bytes * (1 + f / 2) / kPage;
  auto images = [&](double m) { return pages > 0 ? kPage * pages * (1 - std::exp(-m / pages)) : 0.0; };
  auto interval_bytes = [&](double m) { return m * per_row + images(m); };
  if (interval_bytes(written) <= distance) {
    r.full_bytes = interval_bytes(written);  // no checkpoint during the run
  } else {
    // The rows between two checkpoints: interval_bytes(m) = distance (increasing in m).
    double lo = 0, hi = written;
    for (int i = 0; i < 100; ++i) {
      const double mid = 0.5 * (lo + hi);
      (interval_bytes(mid) < distance ? lo : hi) = mid;
    }
    const double m = std::max(hi, 1.0);
    r.checkpoints = static_cast<int>(written / m);
    r.full_bytes = written * per_row + images(m) * written / m;
  }
  r.amplification = std::max(1.0, r.full_bytes / r.slice_rate_bytes);
  return r;
}

ReadRegime read_regime(const ReadInputs& in) {
  ReadRegime r;
  if (in.source_pages <= 0 || in.copy_pages <= 0 || in.source_seconds <= 0 || in.copy_seconds <= 0) return r;
  r.source_seconds_per_page = in.source_seconds / in.source_pages;
  r.copy_seconds_per_page = in.copy_seconds / in.copy_pages;
  r.ratio = r.source_seconds_per_page / r.copy_seconds_per_page;
  const double excess = in.source_seconds - r.copy_seconds_per_page * in.source_pages;
  r.from_storage = r.ratio >= kFromStorageRatio && excess >= kFromStorageExcessSeconds;
  if (r.from_storage) r.extra_seconds = (r.source_seconds_per_page - r.copy_seconds_per_page) * in.table_pages;
  return r;
}

double setting_bytes(const std::string& shown) {
  char* end = nullptr;
  const double v = std::strtod(shown.c_str(), &end);
  if (end == shown.c_str() || v < 0) return 0;
  const std::string unit(end);
  if (unit.empty() || unit == "B") return v;
  if (unit == "kB") return v * 1024;
  if (unit == "MB") return v * 1024 * 1024;
  if (unit == "GB") return v * 1024 * 1024 * 1024;
  if (unit == "TB") return v * 1024 * 1024 * 1024 * 1024;
  return 0;
}

double replay_seconds(double copy_seconds, double writes_per_s, double seconds_per_row) {
  const double load = std::min(writes_per_s * seconds_per_row, 0.99);
  return writes_per_s * copy_seconds * seconds_per_row / (1 - load);
}

}  // namespace migsim::estimators
