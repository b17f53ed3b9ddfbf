#pragma once
// Strategies for one change, for `migsim compare`: a migration file (one
// phase, one deploy), or an ordered plan of phases, a folder of phase files
// (`1-expand.sql`, `2-backfill.sql`, `3-contract.sql`), each shipped in a
// deploy of its own unless it says `-- migsim:same-deploy`. A backfill phase declares its batches with a
// `-- migsim:backfill batch_size=N pause=D` line before its UPDATE.

#include <string>
#include <utility>
#include <vector>

#include "migration/migration.h"

namespace migsim::migration {

struct Phase {
  std::string name;  // "expand" for 1-expand.sql; the file's name without .sql for a one-file strategy
  Migration migration;
  // A `-- migsim:same-deploy` line: it ships with the phase before it (a job
  // run after that deploy, say), so it is not a deploy of its own.
  bool same_deploy = false;
};

struct Strategy {
  std::string name;
  std::string path;
  std::vector<Phase> phases;  // in the order they ship
  int deploys() const;  // phases that are not same_deploy (at least 1)
};

// The PATH of a strategy that is not a file: an online copy (pg-osc,
// pg_repack), which `compare` prices from the table itself.
inline constexpr const char* kOnlineCopy = "online-copy";

// "NAME=PATH" split at the first '='. Throws InputError when either side is
// empty.
std::pair<std::string, std::string> split_strategy_argument(const std::string& argument);

// Reads a strategy: a .sql file, or a folder whose .sql files (in the order
// find_migrations() gives: natural order for numbered phase files) are its
// phases; "online-copy" (kOnlineCopy): a strategy without phases that compare
// prices itself. Throws InputError when the path cannot be read or holds no SQL
// file, ParseError (file:line:column) for a phase that does not parse.
Strategy load_strategy(const std::string& name, const std::string& path);

}  // namespace migsim::migration
