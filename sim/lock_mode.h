#pragma once
// PostgreSQL's eight table-level lock modes and their conflict matrix
// (src/backend/storage/lmgr/lock.c, LockConflicts[]). Pure values, no server:
// the lock simulator builds on this, and migration/ uses it to name the locks
// a statement takes.

#include <optional>
#include <string_view>

namespace migsim::sim {

// Numbered as PostgreSQL's LOCKMODE, so a mode's strength order is its number.
enum class LockMode : int {
  AccessShare = 1,
  RowShare = 2,
  RowExclusive = 3,
  ShareUpdateExclusive = 4,
  Share = 5,
  ShareRowExclusive = 6,
  Exclusive = 7,
  AccessExclusive = 8,
};

inline constexpr LockMode kAllLockModes[] = {
    LockMode::AccessShare,          LockMode::RowShare, LockMode::RowExclusive,
    LockMode::ShareUpdateExclusive, LockMode::Share,    LockMode::ShareRowExclusive,
    LockMode::Exclusive,            LockMode::AccessExclusive};

// The name as it appears in pg_locks.mode, e.g. "AccessExclusiveLock".
std::string_view lock_mode_name(LockMode mode);

// Parses a pg_locks.mode name; nullopt for anything else.
std::optional<LockMode> parse_lock_mode(std::string_view name);

// True if `requested` cannot be granted while another transaction holds (or
// waits for) `held`. Symmetric. A transaction never conflicts with itself.
bool conflicts(LockMode requested, LockMode held);

// The bit PostgreSQL uses for `mode` in its lock masks (1 << mode), and the
// mask of the modes that conflict with it.
inline int mode_bit(LockMode mode) { return 1 << static_cast<int>(mode); }
int conflict_mask(LockMode mode);

// The stronger of two modes (by PostgreSQL's numbering).
inline LockMode stronger(LockMode a, LockMode b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// What ordinary traffic a mode stops while held, derived from the matrix:
// "reads and writes" (blocks SELECT), "writes" (blocks INSERT/UPDATE/DELETE),
// "VACUUM and schema changes", or "schema changes only".
std::string_view lock_mode_blocks(LockMode mode);

}  // namespace migsim::sim
