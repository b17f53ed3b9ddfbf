#include <gtest/gtest.h>

#include "sim/lock_mode.h"

namespace migsim::sim {
namespace {

TEST(LockMode, NamesRoundTripAsInPgLocks) {
  for (LockMode m : kAllLockModes) {
    auto parsed = parse_lock_mode(lock_mode_name(m));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(lock_mode_name(LockMode::AccessExclusive), "AccessExclusiveLock");
  EXPECT_FALSE(parse_lock_mode("AccessExclusive").has_value());
}

TEST(LockMode, ConflictMatrixMatchesPostgres) {
  // Rows of the documented table (explicit-locking.html, Table 13.2).
  EXPECT_FALSE(conflicts(LockMode::AccessShare, LockMode::Exclusive));
  EXPECT_TRUE(conflicts(LockMode::AccessShare, LockMode::AccessExclusive));
  EXPECT_TRUE(conflicts(LockMode::RowExclusive, LockMode::Share));
  EXPECT_FALSE(conflicts(LockMode::RowExclusive, LockMode::RowExclusive));
  EXPECT_TRUE(conflicts(LockMode::ShareUpdateExclusive, LockMode::ShareUpdateExclusive));
  EXPECT_FALSE(conflicts(LockMode::Share, LockMode::Share));
  EXPECT_TRUE(conflicts(LockMode::ShareRowExclusive, LockMode::ShareRowExclusive));
  int conflicting_pairs = 0;
  for (LockMode a : kAllLockModes) {
    for (LockMode b : kAllLockModes) {
      EXPECT_EQ(conflicts(a, b), conflicts(b, a)) << lock_mode_name(a) << " vs " << lock_mode_name(b);
      conflicting_pairs += conflicts(a, b);
    }
  }
  EXPECT_EQ(conflicting_pairs, 38);  // the X marks of the 8x8 matrix
}

TEST(LockMode, WhatEachModeBlocks) {
  EXPECT_EQ(lock_mode_blocks(LockMode::AccessExclusive), "reads and writes");
  EXPECT_EQ(lock_mode_blocks(LockMode::Share), "writes");
  EXPECT_EQ(lock_mode_blocks(LockMode::ShareUpdateExclusive), "VACUUM and schema changes");
  EXPECT_EQ(lock_mode_blocks(LockMode::RowExclusive), "schema changes only");
  EXPECT_EQ(lock_mode_blocks(LockMode::AccessShare), "schema changes only");
}

}  // namespace
}  // namespace migsim::sim
