#pragma once
// Measures a migration on copies of slices of the source table.
//
// Safety (DESIGN.md): the source is only read, in a READ ONLY transaction with
// statement_timeout and lock_timeout; every slice is copied into a scratch
// schema named migsim_scratch_<backend pid>_<unix time>; the migration runs
// only there, with every reference to the target redirected by parse-tree
// position; any transactional statement that took a write lock outside the
// scratch schema is rolled back and reported; the scratch schema is dropped on
// success, error and interrupt, and leftovers of crashed runs are removed.

#include <functional>
#include <set>
#include <string>

#include "migration/migration.h"
#include "sampler/samples.h"
#include "sampler/table_profile.h"

namespace migsim::sampler {

// A line of progress for a person to read (stderr); never parsed. `done` is
// the finished fraction (0..1) of the step the line belongs to, and
// `remaining_s` the seconds it is expected to take still; both negative when
// unknown. A terminal shows a bar from them.
struct Progress {
  Progress(std::string text, double done_fraction = -1, double remaining_seconds = -1)
      : line(std::move(text)), done(done_fraction), remaining_s(remaining_seconds) {}
  Progress(const char* text) : Progress(std::string(text)) {}
  std::string line;
  double done;
  double remaining_s;
};
using ProgressFn = std::function<void(const Progress&)>;

// What the user allowed to run on the scratch copy beyond what migsim knows
// to be safe. The lock fence (a rollback of any write outside the scratch
// schema) still applies to all of it.
struct Allowances {
  std::set<std::string> functions;  // as written: "name" or "schema.name"
  std::set<std::string> settings;   // SET/RESET of these, lower case
  bool do_blocks = false;           // DO $$ ... $$
  bool empty() const { return functions.empty() && settings.empty() && !do_blocks; }
};

struct SamplingOptions {
  int seed = 42;
  int repeats = 3;
  int statement_timeout_ms = 60'000;  // on the source only
  int lock_timeout_ms = 2'000;        // on the source only
  long long max_slice_rows = 200'000; // the largest rung of the ladder
  Allowances allow;
  std::string scratch_dsn;  // where the scratch schema lives; empty: the source's server
  // The migration is an up migration followed by its down: on the largest
  // slice's last (committed) run, compare the copy's catalog (columns, types, defaults,
  // NOT NULL, constraints, indexes, triggers) and its rows (count and a
  // checksum per column) before and after (Samples::round_trip).
  bool round_trip = false;
  // When every run commits (a migration that writes rows, or cannot run in
  // a transaction block), a slice size's runs stop once two of them agree
  // within this fraction (longer / shorter − 1): the median needs no third,
  // and a third run (and, for a write, its copy) costs as much as the first.
  // A run a stall slowed disagrees, so the runs go on to `repeats`. 0: always
  // `repeats` runs. (Runs rolled back on a shared copy cost little.)
  double agreement = 0.05;
  ProgressFn progress;
};

// Whether each run's session reads the copy once, untimed, before the
// migration. A backend maps each page of shared memory into its address
// space the first time it touches it: a page fault per 4 kB. The full
// table's sequential scans (a validating scan, a rewrite's or an index
// build's read, an UPDATE's) go through a ring of a few buffers when the
// table is larger than a quarter of shared_buffers, so the deploy's session
// faults on those few; a new session scanning a copy in shared buffers
// faults on every page of it. On a 100,000-row copy of datasets/orders
// (2,300 pages) that was about 5 ms of a 20 ms ADD CHECK (14-18 ms after a
// count(*) in the same session, 17-24 ms after a one-row read, which loads
// only the catalog), a cost per row the full table does not have. A table
// within a quarter of shared_buffers is scanned in shared buffers by the
// deploy too, faults included, and a catalog-only migration reads no pages:
// their runs start cold.
bool maps_the_copy_first(const migration::Migration& migration, const TableProfile& table);

// The ladder of slice sizes for a table of `rows` rows: three rungs a factor
// of 3 apart, the largest 10 % of the table clamped to [5,000, max_slice_rows];
// a single rung with every row for tables below 1,000 rows.
std::vector<long long> slice_ladder(double rows, long long max_slice_rows);

// Fails with UnsafeMigration (naming file:line:column) if a statement could
// reach outside the copy of `target`: another table, dynamic SQL, a schema-
// qualified DROP, a setting that changes name resolution or identity.
// Function calls are allowed for a list of side-effect-free built-ins, and
// whatever `allow` names. References to the tables in `copied` (the sampler
// copies them too) are allowed besides the target.
void check_runnable(const migration::Migration& migration, const migration::RelationRef& target,
                    const Allowances& allow = {}, const std::vector<migration::RelationRef>& copied = {});

// Whether `function` (as written: "name" or "schema.name") is a built-in
// migsim knows to have no effect outside the statement's result, and to run
// no SQL of its own.
bool known_side_effect_free(const std::string& function);

// Whether a statement that writes rows has a plan the copies' statistics can
// change, so that they are ANALYZEd for it. An UPDATE of every row of the
// table alone (no WHERE, no FROM, no sub-select or WITH) calling only
// built-ins that run no SQL is a sequential scan whatever they say; any other
// can choose its scans and joins by them.
bool plan_uses_statistics(const migration::Statement& st);

// Copies slices of `table` (and, for its foreign keys, the rows they
// reference), runs `migration` on each copy `repeats` times and returns what
// it observed. The slices are slice_ladder()'s, except for a migration that
// changes only the catalog, whose largest is 5,000 rows (unless it rewrites
// a copy after all: see measure()). Throws InputError, UnsafeMigration, DatabaseError
// or Interrupted; the scratch schema is gone in every case.
Samples measure(const std::string& dsn, const migration::Migration& migration, const TableProfile& table,
                const SamplingOptions& options);

// A scratch schema found on the server (name migsim_scratch_<pid>_<time>).
struct ScratchSchemaInfo {
  std::string name;
  int backend_pid = 0;        // the backend of the run that made it
  long long created_unix = 0; // from the name
  bool backend_alive = false; // that backend still exists: its run may be going on
};

// Every scratch schema in the database, oldest first.
std::vector<ScratchSchemaInfo> list_scratch_schemas(const std::string& dsn);

// DROP SCHEMA ... CASCADE of one scratch schema; refuses any other name.
void drop_scratch_schema(const std::string& dsn, const std::string& name);

// Drops scratch schemas left by migsim runs whose backend no longer exists.
// Returns how many were dropped.
int drop_leftover_scratch_schemas(const std::string& dsn);

}  // namespace migsim::sampler
