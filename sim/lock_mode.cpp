#include "sim/lock_mode.h"

#include <array>

namespace migsim::sim {
namespace {

constexpr int bit(LockMode m) { return 1 << static_cast<int>(m); }

// LockConflicts[] from PostgreSQL 15, indexed by LOCKMODE (index 0 unused).
constexpr std::array<int, 9> kConflicts = {
    0,
    0x100,  // AccessShare: AccessExclusive
    0x180,  // RowShare: Exclusive, AccessExclusive
    0x1E0,  // RowExclusive: Share .. AccessExclusive
    0x1F0,  // ShareUpdateExclusive: itself and stronger
    0x1D8,  // Share: RowExclusive, ShareUpdateExclusive, ShareRowExclusive ..
    0x1F8,  // ShareRowExclusive
    0x1FC,  // Exclusive
    0x1FE,  // AccessExclusive: everything
};

constexpr std::array<std::string_view, 9> kNames = {
    "",
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
};

}  // namespace

std::string_view lock_mode_name(LockMode mode) { return kNames[static_cast<int>(mode)]; }

std::optional<LockMode> parse_lock_mode(std::string_view name) {
  for (LockMode m : kAllLockModes) {
    if (lock_mode_name(m) == name) return m;
  }
  return std::nullopt;
}

int conflict_mask(LockMode mode) { return kConflicts[static_cast<int>(mode)]; }

bool conflicts(LockMode requested, LockMode held) {
  return (kConflicts[static_cast<int>(requested)] & bit(held)) != 0;
}

std::string_view lock_mode_blocks(LockMode mode) {
  if (conflicts(mode, LockMode::AccessShare)) return "reads and writes";
  if (conflicts(mode, LockMode::RowExclusive)) return "writes";
  if (conflicts(mode, LockMode::ShareUpdateExclusive)) return "VACUUM and schema changes";
  return "schema changes only";
}

}  // namespace migsim::sim
