#pragma once
// Internal to sampler/: making the scratch copies look like the source.
//
// The pristine slice (<scratch>.migsim_slice) holds rows only, with the
// source's columns, defaults, NOT NULL and CHECK constraints. Each working copy
// adds the source's indexes and PK/UNIQUE/EXCLUDE constraints under their own
// names, and its foreign keys (NOT VALID) to copies of the referenced tables
// that hold the rows the slice references.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "sampler/connection.h"
#include "sampler/samples.h"
#include "sampler/sampler.h"

namespace migsim::sampler::detail {

inline constexpr const char* kSliceTable = "migsim_slice";

struct ForeignKey {
  std::string name;
  std::string definition;                // pg_get_constraintdef
  std::string ref_schema;                // the referenced table
  std::string ref_table;
  std::vector<std::string> columns;      // quoted, on the source
  std::vector<std::string> ref_columns;  // quoted, on the referenced table
  std::vector<std::string> ref_types;    // format_type of each referenced column
  bool self_reference = false;
};

// A table's columns as CREATE TABLE needs them, from the catalog, so that the
// scratch side never has to name the source (it may be another server).
struct TableDefinition {
  std::vector<std::string> column_sql;      // "name type [COLLATE c] [GENERATED ...|DEFAULT e] [NOT NULL]"
  std::vector<std::string> check_sql;       // "CONSTRAINT name CHECK (...)", the validated ones
  // CHECK constraints the source holds NOT VALID: (name, "CHECK (...) NOT VALID"), added to each
  // working copy after its rows, still not validated, so that VALIDATE CONSTRAINT has its scan to do.
  std::vector<std::pair<std::string, std::string>> not_valid_checks;
  std::vector<std::string> serial_columns;  // quoted; their nextval() default gets a scratch sequence
};

// A table the source references by foreign key, copied with the rows the slice needs.
struct ReferencedTable {
  std::string schema;
  std::string name;
  TableDefinition definition;
  std::vector<std::string> columns;                               // insertable, quoted
  std::vector<std::pair<std::string, std::string>> constraints;   // its PK/UNIQUE, for the FK to point at
  bool whole = false;  // a table the migration only reads: copied whole (it is small)
};

struct SourceStructure {
  TableDefinition definition;
  std::vector<std::string> columns;                               // insertable, quoted
  std::vector<std::string> index_definitions;                     // pg_get_indexdef of indexes no constraint owns
  std::vector<std::pair<std::string, std::string>> constraints;   // name, pg_get_constraintdef (p, u, x)
  std::vector<ForeignKey> foreign_keys;
  std::vector<ReferencedTable> referenced;                        // distinct, other than the source
  std::vector<std::string> notes;
  std::vector<SliceStats::Column> stats;  // the source's pg_stats: name, null_frac
  std::vector<double> avg_widths;         // the source's pg_stats.avg_width, parallel to stats
  // Statement index -> the join PostgreSQL plans for the check of the foreign
  // key it validates on the full table (foreign_key_join()), which each copy
  // is made to plan too.
  std::map<size_t, std::string> foreign_key_joins;
};

// SET LOCAL of the source timeouts, for every transaction that touches the source.
void limit_waits(pqxx::transaction_base& tx, const SamplingOptions& options);

// Reads everything above from the catalog in one READ ONLY transaction.
SourceStructure read_structure(Connection& source, const TableProfile& table, const SamplingOptions& options);

// Adds a table the migration reads (a lookup in UPDATE ... FROM, a subquery)
// to the tables copied with each slice: whole, when it has at most
// `max_rows` rows. Throws UnsafeMigration (naming `where`) when it is larger,
// InputError when it does not exist.
void add_read_table(Connection& source, SourceStructure& structure, const migration::RelationRef& relation,
                    long long max_rows, const SamplingOptions& options, const std::string& where);

// A foreign key's check, as foreign_key_join() takes it: quoted names.
struct ForeignKeyCheck {
  std::string referenced;                // the referenced table, qualified
  std::vector<std::string> columns;      // on the table
  std::vector<std::string> ref_columns;  // on the referenced table
};

// The check of the foreign key an ADD FOREIGN KEY action adds, its referenced
// table resolved on the source (and its primary key, when the action names
// no columns); none when that table does not exist there.
std::optional<ForeignKeyCheck> new_foreign_key(Connection& source, const migration::Action& action,
                                               const SamplingOptions& options);

// The join method PostgreSQL plans for the check that validates the foreign
// key `check` (RI_Initial_Check's anti-join of the two tables), planned as it
// plans it (no parallel workers, work_mem raised to maintenance_work_mem,
// hash_mem_multiplier 1) by EXPLAIN on the source, so with the full table's
// statistics: "Hash Join", "Merge Join" or "Nested Loop"; "" when the plan
// has no anti-join.
std::string foreign_key_join(Connection& source, const TableProfile& table, const ForeignKeyCheck& check,
                             const SamplingOptions& options);

// Copies about `target_rows` rows of the source into <scratch>.migsim_slice,
// and the rows they reference into copies of the referenced tables; returns
// the slice's row count. Every read of the source side runs READ ONLY under
// the source timeouts.
long long copy_slice(const std::string& dsn, const std::string& scratch_dsn, const SourceStructure& structure,
                     Connection& work,
                     const TableProfile& table, const std::string& scratch, long long target_rows,
                     const SamplingOptions& options);

// Takes about `target_rows` of the `from_rows` rows of <from>.migsim_slice, by
// whole pages (TABLESAMPLE SYSTEM with the sampling seed), into
// <scratch>.migsim_slice, with the rows they reference from <from>'s copies
// of the referenced tables: a smaller slice nested in a larger one, on the
// scratch server, without reading the source. Returns its row count.
long long derive_slice(Connection& work, const SourceStructure& structure, const std::string& from,
                       long long from_rows, const std::string& scratch, long long target_rows,
                       const SamplingOptions& options);

// The slice's pg_stats (after ANALYZE) next to the source's.
SliceStats compare_slice(Connection& work, const SourceStructure& structure, const std::string& scratch, long long rows);

// Creates <scratch>.<table> from the slice: rows, then indexes, constraints
// and foreign keys. Returns the new table's oid. With `adopt`, the slice
// itself becomes it, renamed, without copying its rows again (0.4 s of
// INSERT for 96,000 rows of datasets/orders): for a slice whose runs share
// one copy; the slice is gone afterwards. Without `plain_indexes`, the
// indexes that back no constraint are left out (see reads_only_the_heap).
long long build_working_copy(Connection& work, const SourceStructure& structure, const std::string& scratch,
                             const std::string& table, bool adopt, bool plain_indexes);

// Where a name the migration uses for another table points in the scratch
// schema: the copy of a referenced table, or "" when there is none.
std::string referenced_copy(const SourceStructure& structure, pqxx::connection& c, const std::string& scratch,
                            const migration::RelationRef& relation);

// VACUUM of a scratch table (hint bits set, visibility map current), with
// ANALYZE when `analyze` (statistics for the planner).
void vacuum(Connection& conn, const std::string& qualified, bool analyze);

// The same, with ANALYZE of `columns` (quoted; none: every column) when
// they are given.
void vacuum(Connection& conn, const std::string& qualified, const std::optional<std::vector<std::string>>& columns);

// VACUUM of the slice, with the statistics compare_slice reads (null
// fractions and widths) from a sample of 3,000 rows (statistics target 10)
// rather than the default 30,000 (a null fraction's standard error from 3,000
// rows is under a point, against the 10 points the comparison flags), in
// 70 ms instead of 410 ms at 100,000 rows of datasets/orders, whose text and
// jsonb columns the default target sorts for histograms nothing here reads.
void vacuum_slice(Connection& conn, const std::string& qualified);

}  // namespace migsim::sampler::detail
