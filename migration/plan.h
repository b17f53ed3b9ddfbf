#pragma once
// `migsim plan`: the safe form of a migration, as phase files ready for
// `migsim compare`. Each statement with a known safe equivalent is rewritten
// into the phases expand (catalog changes, one short transaction), backfill
// (a batched UPDATE), validate (CONCURRENTLY index builds, VALIDATE
// CONSTRAINT: no lock that blocks reads or writes) and contract (the swap,
// one short transaction); everything else stays as written, in expand.
// Constraints are added NOT VALID in a phase of their own after the backfill
// (constrain), since a NOT VALID CHECK already applies to the rows an UPDATE
// writes. Backfill, constrain and validate ship with the expand deploy
// (`-- migsim:same-deploy`); contract needs the application switched first.
// Phases that take AccessExclusiveLock start with SET lock_timeout, and are
// written to be retried on SQLSTATE 55P03 (the plan's retry.sh does).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "migration/migration.h"

namespace migsim::migration {

// What the catalog says of a column a plan rebuilds (sampler::describe_column
// reads it with --dsn).
struct ColumnFacts {
  std::string type;          // format_type(), e.g. "integer", "character varying(20)"
  bool not_null = false;
  std::string default_expr;  // pg_get_expr() of its default; empty when none
  struct Index {
    std::string name;
    std::string definition;  // pg_get_indexdef()
  };
  std::vector<Index> indexes;             // indexes on the column that no constraint owns
  std::vector<std::string> constraints;   // constraints that use it (primary key, unique, foreign keys, checks)
};

// The column `column` of the table as the migration names it; nullopt when
// the catalog cannot be read (no --dsn) or has no such column.
using ColumnLookup = std::function<std::optional<ColumnFacts>(const RelationRef& table, const std::string& column)>;

struct PlanOptions {
  std::string lock_timeout = "2s";
  long long batch_size = 5000;
  std::string pause = "50ms";
};

struct PlanPhase {
  std::string name;  // expand, backfill, constrain, validate, contract
  std::string file;  // "1-expand.sql"
  std::string sql;   // the whole file
};

struct Plan {
  std::string source;               // the migration it was made from
  std::vector<PlanPhase> phases;    // in order; only those with something to do
  std::vector<std::string> changes; // per rewritten statement: "file:line:col KIND -> what the plan does"
  std::vector<std::string> kept;    // per statement kept as written, and why
  int rewritten = 0;
};

// The plan for `migration`. Renames and type changes need `lookup` (the old
// column's type, default, NOT NULL and indexes); without its answer they are
// kept as written, with the reason. Never throws for a statement it cannot
// plan: it keeps it and says why.
Plan make_plan(const Migration& migration, const PlanOptions& options, const ColumnLookup& lookup);

// The plan's retry wrapper: a POSIX shell script that runs one phase file with
// psql and runs it again when a lock could not be taken within lock_timeout.
std::string retry_script();

}  // namespace migsim::migration
