#pragma once
// Regimes the slices cannot show: where the physics of the full table differs
// from that of a slice of it. Plain values in, plain values out.

#include <string>

namespace migsim::estimators {

// A statement that writes rows (UPDATE, DELETE, INSERT ... SELECT) on the full
// table against its slices.
struct WalInputs {
  double rows = 0;                   // rows in the full table
  double affected_fraction = 1;      // rows it writes / rows in the table (from the slices)
  double wal_bytes_per_row = 0;      // WAL per table row on the largest slice (its pages were fresh)
  double table_bytes = 0;            // heap
  double unordered_index_bytes = 0;  // indexes not in the heap's order (TableProfile)
  double max_wal_size_bytes = 0;
  double checkpoint_completion_target = 0.9;
};

struct WalRegime {
  double slice_rate_bytes = 0;  // what the slices' WAL per row says for the full table
  double full_bytes = 0;        // with the full-page images the full run writes
  int checkpoints = 0;          // forced by max_wal_size during the run
  double amplification = 1;     // full_bytes / slice_rate_bytes
};

// The WAL between two checkpoints that max_wal_size requests:
// max_wal_size / (1 + checkpoint_completion_target); 0 without a setting.
double checkpoint_distance_bytes(double max_wal_size_bytes, double checkpoint_completion_target);

// The checkpoints max_wal_size requests while `wal_bytes` of WAL are written:
// this many if the writing starts right after a checkpoint, one more if it
// starts later (the WAL since the last one counts towards the next).
int forced_checkpoints(double wal_bytes, double max_wal_size_bytes, double checkpoint_completion_target);

// The max_wal_size under which writing `wal_bytes` forces no checkpoint: its
// distance holds them on top of what came since the last checkpoint (less
// than today's distance, or one would have followed).
double max_wal_size_without_checkpoints(double wal_bytes, double max_wal_size_bytes,
                                        double checkpoint_completion_target);

// The WAL segment files a write of `wal_bytes` needs and where they come
// from. PostgreSQL writes WAL into segment files of wal_segment_size. It takes
// one from pg_wal's recycled ones (renamed after a checkpoint) while there are
// any, and otherwise creates one, which with wal_init_zero = on (the default)
// means writing it full of zeros and flushing it to disk before the WAL goes
// on. A checkpoint recycles the segments before its own redo point when it
// completes: one requested each checkpoint distance D completes about
// checkpoint_completion_target·D later (PostgreSQL 11 and later keep no older
// checkpoint's WAL). pg_wal keeps about what its recent checkpoints needed, at
// most max_wal_size's worth, so a server whose WAL was quiet has few. The
// slices, a few MB of WAL each, never run out.
struct WalSegmentInputs {
  double wal_bytes = 0;
  double segment_bytes = 0;    // wal_segment_size; 0 when unknown (nothing to say)
  int segments_ahead = -1;     // recycled segments ahead of the insert position; -1 when unknown
  bool recycle = true;         // wal_recycle: off, a checkpoint removes old segments instead
  double min_wal_size_bytes = 0;  // pg_wal keeps this much recycled however quiet the server
  double max_wal_size_bytes = 0;
  double checkpoint_completion_target = 0.9;
};

struct WalSegments {
  int needed = 0;           // segments the WAL fills
  int recycled_during = 0;  // recycled by checkpoints that complete during the write
  // Segments created during the write: with segments_ahead known, both are
  // that count's; otherwise from a full pg_wal (max_wal_size's worth
  // recycled) to one with min_wal_size's worth (less the segment in use).
  int created_low = 0;
  int created_high = 0;
};

// Walks the write segment by segment from right after a checkpoint: each
// takes a recycled segment if one is left, else is created; each checkpoint
// requested on the way adds the segments of its interval when it completes
// (at most max_wal_size's worth recycled).
WalSegments wal_segments(const WalSegmentInputs& in);

// A checkpoint is requested each checkpoint_distance_bytes() of WAL. After
// each one, the first change to a page logs it in full (8 kB): each heap page
// the statement writes (once: it passes over the heap in order), and the
// pages of the indexes whose order is not the heap's, which
// the m rows written between two checkpoints touch at random (a fraction
// 1 − e^(−m/P) of their P pages, P grown by the new entries). The slices'
// pages were written after the last checkpoint, so their WAL has none of
// these. m is solved for so that an interval's WAL is the checkpoint distance.
WalRegime wal_regime(const WalInputs& in);

// Reading the full table against reading its slices' copies: the copies
// were just written and are read from memory; the table's pages may come
// from storage (a table larger than the server's cache, or not read lately).
// The sampler reads a stretch of the source and the largest copy with the
// same sequential scan (sampler::ReadProbe).
struct ReadInputs {
  double source_pages = 0;
  double source_seconds = 0;
  double copy_pages = 0;
  double copy_seconds = 0;  // the fastest read
  double table_pages = 0;   // the full table's heap
};

struct ReadRegime {
  double source_seconds_per_page = 0;
  double copy_seconds_per_page = 0;
  double ratio = 1;              // source / copy, per page
  bool from_storage = false;     // see kFromStorageRatio and kFromStorageExcessSeconds
  double extra_seconds = 0;      // per pass over the full table, when from_storage
};

// A read of the source is taken to come from storage when, per page, it is
// at least twice as slow as the copies' and, over the pages it read, at
// least 50 ms slower: a cache-to-cache difference (shared buffers against
// the OS cache, the scan's ring) is within the first, and a stall of a
// shared machine (10-30 ms on this 2-core VM: one read of 4,096 pages took
// 34 ms where the others took 22) within the second.
constexpr double kFromStorageRatio = 2.0;
constexpr double kFromStorageExcessSeconds = 0.05;

// What each pass of a statement over the whole table adds to what its
// slices showed: the difference per page times the table's pages.
ReadRegime read_regime(const ReadInputs& in);

// An online copy's replay (pg-osc, pg_repack): the changes written at
// `writes_per_s` while the copy ran for `copy_seconds`, and those written
// while they are replayed, each costing `seconds_per_row`:
// w·T·c / (1 − w·c). When the writes come as fast as they are replayed
// (w·c ≥ 1) it never catches up: the load is capped at 0.99.
double replay_seconds(double copy_seconds, double writes_per_s, double seconds_per_row);

// Bytes of a PostgreSQL memory setting as SHOW prints it ("256MB", "1GB",
// "8kB", "64"), 0 when it cannot be read.
double setting_bytes(const std::string& shown);

}  // namespace migsim::estimators
