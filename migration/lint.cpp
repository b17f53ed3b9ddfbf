#include "migration/lint.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

namespace migsim::migration {
namespace {

using sim::LockMode;

const std::vector<Rule> kRules = {
    {"create-index-not-concurrently", Severity::error, true,
     "CREATE INDEX without CONCURRENTLY blocks writes for the whole build",
     "A plain CREATE INDEX holds ShareLock on the table until it commits: every INSERT, UPDATE and DELETE waits "
     "for the whole build, which grows with the table.",
     "CREATE INDEX CONCURRENTLY, outside a transaction block; check afterwards that the index is valid."},
    {"concurrently-in-transaction", Severity::error, false,
     "CONCURRENTLY (or VACUUM) inside a transaction block fails",
     "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY and VACUUM cannot run "
     "inside BEGIN ... COMMIT: PostgreSQL rejects them and the migration fails halfway.",
     "Run the statement on its own, outside the transaction block (most migration tools have a "
     "no-transaction flag for this)."},
    {"add-column-not-null-without-default", Severity::error, false,
     "ADD COLUMN ... NOT NULL without a default fails on a table with rows",
     "Existing rows would have NULL in the new column, so PostgreSQL scans the table and fails as soon as it "
     "has a row.",
     "Add the column nullable with a default, backfill in batches, then add CHECK (col IS NOT NULL) NOT VALID, "
     "VALIDATE it, and SET NOT NULL."},
    {"add-column-rewrites", Severity::error, true,
     "ADD COLUMN with a volatile default, identity, serial or stored generated column rewrites the table",
     "The whole table and every index are rewritten under AccessExclusiveLock: nothing can read or write it "
     "until the rewrite commits.",
     "Add the column without the default (catalog only), set the default for new rows, and backfill existing "
     "rows in batches."},
    {"add-check-validates", Severity::warning, true,
     "ADD CHECK scans the whole table under AccessExclusiveLock",
     "Validating the new constraint reads every row while reads and writes wait.",
     "ADD CONSTRAINT ... CHECK (...) NOT VALID (brief), then ALTER TABLE ... VALIDATE CONSTRAINT, which takes "
     "only ShareUpdateExclusiveLock."},
    {"add-foreign-key-validates", Severity::error, true,
     "ADD FOREIGN KEY validates every row while blocking writes on both tables",
     "ShareRowExclusiveLock on the referencing and the referenced table for the whole validation query.",
     "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later statement."},
    {"set-not-null-scans", Severity::warning, true,
     "SET NOT NULL scans the whole table under AccessExclusiveLock",
     "Unless a valid CHECK (col IS NOT NULL) already proves it, PostgreSQL reads every row to check, while "
     "reads and writes wait.",
     "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL (no scan) "
     "and DROP CONSTRAINT c."},
    {"column-type-rewrites", Severity::error, true,
     "ALTER COLUMN TYPE rewrites the table and rebuilds every index",
     "A type change that is not binary-coercible (int to bigint, a USING expression, a narrower varchar) "
     "copies every row and rebuilds all indexes under AccessExclusiveLock.",
     "Expand and contract: add a new column, keep it in sync with a trigger, backfill in batches, switch the "
     "application, then drop the old column."},
    {"column-type-may-rewrite", Severity::warning, true,
     "ALTER COLUMN TYPE may rewrite the table, depending on the current type",
     "varchar(n) to text or a wider varchar is catalog only; other changes to this type rewrite the table "
     "under AccessExclusiveLock. The parse tree alone cannot tell which.",
     "Check the current type (or run migsim estimate); if it rewrites, use expand and contract."},
    {"rename-column", Severity::error, false, "RENAME COLUMN breaks the application that is running",
     "The running version of the application still uses the old name: its queries fail from the moment the "
     "rename commits until the new version is deployed everywhere.",
     "Add the new column, write both, backfill, switch reads, then drop the old column (or use a view)."},
    {"rename-table", Severity::error, false, "Renaming a table breaks the application that is running",
     "Queries of the running version name the old table and fail as soon as the rename commits.",
     "Create the new name as a view over the old table (or the reverse), deploy, then swap."},
    {"drop-column", Severity::warning, false, "DROP COLUMN while code may still read it",
     "Any running query or ORM model that still names the column fails once it is dropped.",
     "Deploy code that no longer uses the column first (ignore it in the ORM), then drop it in a later "
     "migration."},
    {"drop-table", Severity::warning, false, "DROP TABLE while code may still use it",
     "Queries of the running version fail, and the data is gone; DROP also takes AccessExclusiveLock on tables "
     "that reference it by foreign key.",
     "Stop using the table in a deploy first; rename it aside and drop it later, once nothing broke."},
    {"ddl-with-dml", Severity::warning, false, "Schema changes and data changes in one migration",
     "In one transaction the DDL's locks are held while the data change runs; on failure both are rolled back "
     "and the data change must be redone.",
     "Put data changes (backfills) in a migration of their own, run in batches, separate from schema changes."},
    {"unbatched-backfill", Severity::error, true, "UPDATE or DELETE of a whole table in one statement",
     "One statement locks every row it changes until it commits, writes a new version of every row (WAL, dead "
     "tuples, replication lag) and cannot be paused.",
     "Backfill in batches of a few thousand rows by primary key (keyset pagination), each in its own short "
     "transaction, with a pause between batches."},
    {"missing-lock-timeout", Severity::warning, false,
     "AccessExclusiveLock requested with no lock_timeout set",
     "If a long query holds any lock on the table, the ALTER waits in the lock queue, and every new query on "
     "the table queues behind it: reads stop, the connection pool empties.",
     "SET lock_timeout = '2s' (or less) before the statement, and retry the migration with backoff when it "
     "times out."},
    {"vacuum-full", Severity::error, true, "VACUUM FULL rewrites the table under AccessExclusiveLock",
     "Nothing can read or write the table until the copy and every index rebuild are done.",
     "Plain VACUUM, or an online repack tool (pg_repack, pg_squeeze) that copies the table without a long lock."},
    {"cluster", Severity::error, true, "CLUSTER rewrites the table under AccessExclusiveLock",
     "Nothing can read or write the table until the sorted copy and every index rebuild are done.",
     "An online repack tool with ordering (pg_repack --order-by), or rely on index scans instead."},
    {"add-constraint-builds-index", Severity::error, true,
     "ADD PRIMARY KEY / UNIQUE / EXCLUDE builds an index under AccessExclusiveLock",
     "The index build reads and sorts the whole table while reads and writes wait.",
     "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... PRIMARY KEY / UNIQUE USING INDEX (brief)."},
    {"truncate", Severity::warning, false, "TRUNCATE removes every row",
     "It takes AccessExclusiveLock and the rows are gone for every reader once it commits.",
     "Make sure this is meant; to empty a large table gradually, delete in batches."},
    {"lock-table", Severity::warning, false, "Explicit LOCK TABLE",
     "An explicit lock is held until the transaction ends, and in a strong mode it queues every other query "
     "behind it.",
     "Avoid explicit locks in migrations; if one is needed, set lock_timeout first and keep the transaction short."},
    {"refresh-matview-blocks-reads", Severity::warning, true,
     "REFRESH MATERIALIZED VIEW blocks reads of the view",
     "Without CONCURRENTLY the refresh holds AccessExclusiveLock on the view: every SELECT waits.",
     "REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)."},
    {"reindex-not-concurrently", Severity::error, true, "REINDEX without CONCURRENTLY blocks writes (and reads of the index)",
     "REINDEX holds ShareLock on the table and AccessExclusiveLock on each index rebuilt; queries that plan "
     "with the index wait.",
     "REINDEX ... CONCURRENTLY, outside a transaction block."},
    {"drop-index-not-concurrently", Severity::warning, false, "DROP INDEX without CONCURRENTLY",
     "It takes AccessExclusiveLock on the index's table: brief, but it queues behind long queries and blocks "
     "everything behind it.",
     "DROP INDEX CONCURRENTLY, outside a transaction block."},
    {"table-rewrite", Severity::error, true,
     "SET LOGGED / UNLOGGED / ACCESS METHOD / TABLESPACE rewrites the table",
     "The table is copied under AccessExclusiveLock: no reads or writes until it is done.",
     "Schedule it in a maintenance window, or build the new table alongside and switch."},
    {"detach-partition-not-concurrently", Severity::warning, false,
     "DETACH PARTITION without CONCURRENTLY takes AccessExclusiveLock on the parent",
     "Every query on the partitioned table waits while it is detached.",
     "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (outside a transaction block, not with a default "
     "partition)."},
    {"attach-partition-scans", Severity::warning, true, "ATTACH PARTITION scans the partition",
     "Unless a valid CHECK constraint on the partition implies its bound, PostgreSQL reads the whole partition "
     "under AccessExclusiveLock on it.",
     "Add a CHECK matching the partition bound (NOT VALID, then VALIDATE) before attaching; drop it after."},
    {"lock-held-across-statements", Severity::warning, false,
     "AccessExclusiveLock held across later statements of the transaction",
     "Locks are held until COMMIT: every statement after the one that took AccessExclusiveLock extends the time "
     "nothing can read or write the table.",
     "Commit right after the statement that needs the strong lock; run the rest in their own transactions."},
    {"insert-select-unbounded", Severity::warning, true, "INSERT ... SELECT of unknown size in one statement",
     "A single large INSERT ... SELECT holds its locks and writes all its WAL in one transaction.",
     "Copy in batches by primary key, each in its own short transaction."},
    {"create-trigger-blocks-writes", Severity::info, false, "CREATE TRIGGER blocks writes briefly",
     "CREATE TRIGGER takes ShareRowExclusiveLock: writes wait while it commits (and it queues behind long "
     "transactions).",
     "Set lock_timeout before it and retry on timeout."},
    {"concurrently-can-leave-invalid-index", Severity::info, false,
     "A failed CONCURRENTLY build leaves an INVALID index behind",
     "If CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY fails (deadlock, unique violation, cancel), the "
     "index stays, INVALID, and is still maintained on every write.",
     "After it, check pg_index.indisvalid; drop an invalid index (DROP INDEX CONCURRENTLY) before retrying."},
    {"unclassified-statement", Severity::info, false, "migsim does not know this statement's locks yet",
     "The lock mode and effect are assumed to be the worst case (AccessExclusiveLock, unknown cost).",
     "Check the PostgreSQL documentation for its lock level, or run migsim estimate to observe it."},
};

bool is_ddl(const Statement& st) {
  return !st.is_transaction_control && !st.is_session_setting && st.effect != Effect::dml &&
         st.node != "SelectStmt";
}

std::optional<LockMode> target_mode(const Statement& st) {
  std::optional<LockMode> m;
  for (const RelationLock& l : st.locks) m = m ? sim::stronger(*m, l.mode) : l.mode;
  return m;
}

std::string target_name(const Statement& st) {
  for (const RelationLock& l : st.locks) {
    if (l.mode != LockMode::AccessShare || st.locks.size() == 1) {
      return l.relation.schema.empty() ? l.relation.name : l.relation.schema + "." + l.relation.name;
    }
  }
  return st.locks.empty() ? "the table" : st.locks.front().relation.name;
}

// Rule ids named by `migsim:ignore` comments from the statement's leading
// comments to the end of its last line.
std::set<std::string> ignored_rules(const Migration& m, const Statement& st) {
  std::set<std::string> ids;
  const size_t end_of_statement = static_cast<size_t>(st.begin) + st.sql.size();
  size_t end = m.text.find('\n', end_of_statement);
  if (end == std::string::npos) end = m.text.size();
  // A comment on the previous statement's last line belongs to that statement.
  size_t start = static_cast<size_t>(st.prefix_begin);
  const size_t newline = m.text.find('\n', start);
  if (st.prefix_begin > 0 && newline != std::string::npos && newline < static_cast<size_t>(st.begin)) start = newline + 1;
  const std::string region = m.text.substr(start, end - start);
  const std::string marker = "migsim:ignore";
  for (size_t pos = region.find(marker); pos != std::string::npos; pos = region.find(marker, pos + 1)) {
    size_t i = pos + marker.size();
    while (i < region.size() && region[i] != '\n' && region[i] != '*') {
      while (i < region.size() && (region[i] == ' ' || region[i] == ',' || region[i] == '\t')) ++i;
      size_t j = i;
      while (j < region.size() && (std::isalnum(static_cast<unsigned char>(region[j])) || region[j] == '-')) ++j;
      if (j == i) break;
      ids.insert(region.substr(i, j - i));
      i = j;
    }
  }
  return ids;
}

Severity scaled(const Rule& rule, const LintOptions& o) {
  if (!rule.scales_with_size || !o.table_rows) return rule.severity;
  const int s = static_cast<int>(rule.severity);
  if (*o.table_rows < 100'000) return static_cast<Severity>(std::max(0, s - 1));
  if (*o.table_rows >= 10'000'000) return static_cast<Severity>(std::min(2, s + 1));
  return rule.severity;
}

}  // namespace

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "warning";
}

std::optional<Severity> parse_severity(std::string_view name) {
  if (name == "info") return Severity::info;
  if (name == "warning") return Severity::warning;
  if (name == "error") return Severity::error;
  return std::nullopt;
}

const std::vector<Rule>& lint_rules() { return kRules; }

const Rule* find_rule(std::string_view id) {
  for (const Rule& r : kRules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::vector<Finding> lint(const Migration& m, const LintOptions& options) {
  std::vector<Finding> findings;
  const std::vector<int> blocks = transaction_blocks(m);
  std::set<std::string> created_tables;    // tables this migration creates: not live yet
  std::set<std::string> not_null_checked;  // columns with a validated CHECK (col IS NOT NULL)
  std::map<std::string, std::string> pending_checks;  // NOT VALID constraint name -> column
  bool lock_timeout_set = false;
  bool ddl_seen = false;
  bool dml_seen = false;
  bool mix_reported = false;

  for (size_t i = 0; i < m.statements.size(); ++i) {
    const Statement& st = m.statements[i];
    const std::set<std::string> ignored = ignored_rules(m, st);
    auto report = [&](std::string_view id, std::string message) {
      const Rule* rule = find_rule(id);
      if (rule == nullptr || options.disabled.count(std::string(id)) || ignored.count(std::string(id)) ||
          ignored.count("all")) {
        return;
      }
      findings.push_back({std::string(id), scaled(*rule, options), i, st.line, st.column, std::move(message)});
    };
    const std::string table = target_name(st);
    bool new_table = false;
    for (const RelationLock& l : st.locks) {
      new_table = new_table || (l.mode != LockMode::AccessShare && created_tables.count(l.relation.name));
    }
    const bool in_block = blocks[i] >= 0;

    if (st.is_session_setting && st.setting_name == "lock_timeout") {
      lock_timeout_set = st.sql.find("= 0") == std::string::npos && st.sql.find("TO 0") == std::string::npos &&
                         st.kind != "RESET";
    }
    if (!st.in_transaction_block_allowed && in_block) {
      report("concurrently-in-transaction", fmt::format("{} cannot run inside the transaction block opened above", st.kind));
    }
    if (st.kind == "CREATE TABLE" || st.kind == "CREATE TABLE PARTITION OF" || st.kind == "CREATE TABLE AS") {
      for (const RelationLock& l : st.locks) {
        if (l.mode == LockMode::AccessExclusive) created_tables.insert(l.relation.name);
      }
      continue;
    }

    const auto mode = target_mode(st);
    if (!new_table && mode == LockMode::AccessExclusive && !lock_timeout_set && !st.is_transaction_control) {
      report("missing-lock-timeout", fmt::format("{} takes AccessExclusiveLock on {} with no lock_timeout set "
                                                 "earlier in the migration",
                                                 st.kind, table));
    }
    if (in_block && mode == LockMode::AccessExclusive && !new_table) {
      int later = 0;
      for (size_t j = i + 1; j < m.statements.size() && blocks[j] == blocks[i]; ++j) {
        later += !m.statements[j].is_transaction_control;
      }
      if (later > 0) {
        report("lock-held-across-statements",
               fmt::format("AccessExclusiveLock on {} is held through {} more statement{} until COMMIT", table,
                           later, later == 1 ? "" : "s"));
      }
    }

    if (is_ddl(st)) ddl_seen = true;
    if (st.effect == Effect::dml && !new_table) dml_seen = true;
    if (ddl_seen && dml_seen && !mix_reported) {
      mix_reported = true;
      report("ddl-with-dml", "this migration both changes the schema and changes rows");
    }

    for (const Action& a : st.actions) {
      if (a.effect == Effect::unknown && a.depends_on.find("not classified") != std::string::npos) {
        report("unclassified-statement", fmt::format("{}: {}", a.kind, a.depends_on));
      }
      if (new_table) continue;
      if (a.kind == "ADD COLUMN" && a.detail == "NOT NULL without a default") {
        report("add-column-not-null-without-default", fmt::format("column {} is NOT NULL and has no default", a.column));
      } else if (a.kind == "ADD COLUMN" && a.effect == Effect::rewrite) {
        report("add-column-rewrites", fmt::format("column {} ({}) rewrites {}", a.column, a.detail, table));
      } else if (a.kind == "ADD COLUMN" && a.effect == Effect::index_build) {
        report("add-constraint-builds-index",
               fmt::format("column {} is UNIQUE or a PRIMARY KEY: its index is built under AccessExclusiveLock", a.column));
      } else if (a.kind == "ADD COLUMN" && a.effect == Effect::scan) {
        report("add-check-validates", fmt::format("column {} comes with a constraint checked against every row", a.column));
      } else if (a.kind == "ADD CHECK") {
        report("add-check-validates", fmt::format("the new CHECK on {} is validated at once", table));
        if (!a.not_null_column.empty()) not_null_checked.insert(a.not_null_column);
      } else if (a.kind == "ADD CHECK NOT VALID" && !a.not_null_column.empty()) {
        pending_checks[a.constraint] = a.not_null_column;
      } else if (a.kind == "VALIDATE CONSTRAINT" && pending_checks.count(a.constraint)) {
        not_null_checked.insert(pending_checks[a.constraint]);
      } else if (a.kind == "ADD FOREIGN KEY") {
        report("add-foreign-key-validates", fmt::format("the foreign key on {} is validated at once", table));
      } else if (a.kind == "ALTER COLUMN SET NOT NULL" && !not_null_checked.count(a.column)) {
        report("set-not-null-scans", fmt::format("no validated CHECK ({} IS NOT NULL) precedes it in this migration",
                                                 a.column));
      } else if (a.kind == "ALTER COLUMN TYPE" && a.effect == Effect::rewrite) {
        report("column-type-rewrites", fmt::format("column {} {} rewrites {}", a.column, a.detail, table));
      } else if (a.kind == "ALTER COLUMN TYPE" && a.effect == Effect::unknown) {
        report("column-type-may-rewrite", fmt::format("column {} {}: depends on {}", a.column, a.detail, a.depends_on));
      } else if (a.kind == "ALTER TABLE RENAME COLUMN") {
        report("rename-column", fmt::format("column {} of {} is renamed", a.column, table));
      } else if (a.kind == "ALTER TABLE RENAME TO") {
        report("rename-table", fmt::format("table {} is renamed", table));
      } else if (a.kind == "DROP COLUMN") {
        report("drop-column", fmt::format("column {} of {} is dropped", a.column, table));
      } else if (a.kind == "DROP TABLE") {
        report("drop-table", fmt::format("{} is dropped", table));
      } else if ((a.kind == "UPDATE" || a.kind == "DELETE") && st.dml_rows == "all") {
        report("unbatched-backfill", fmt::format("{} touches every row of {} in one statement", a.kind, table));
      } else if (a.kind == "INSERT" && st.dml_rows == "unknown") {
        report("insert-select-unbounded", fmt::format("INSERT ... SELECT into {} in one statement", table));
      } else if (a.kind == "VACUUM FULL") {
        report("vacuum-full", fmt::format("VACUUM FULL rewrites {}", table));
      } else if (a.kind == "CLUSTER") {
        report("cluster", fmt::format("CLUSTER rewrites {}", table));
      } else if (a.kind == "ADD PRIMARY KEY" || a.kind == "ADD UNIQUE" || a.kind == "ADD EXCLUDE") {
        report("add-constraint-builds-index", fmt::format("{} builds an index on {} under AccessExclusiveLock", a.kind, table));
      } else if (a.kind == "TRUNCATE") {
        report("truncate", fmt::format("TRUNCATE empties {}", table));
      } else if (a.kind == "LOCK TABLE") {
        report("lock-table", fmt::format("LOCK TABLE {} IN {} mode", table, sim::lock_mode_name(mode.value_or(LockMode::AccessExclusive))));
      } else if (a.kind == "REFRESH MATERIALIZED VIEW") {
        report("refresh-matview-blocks-reads", fmt::format("reads of {} wait for the refresh", table));
      } else if (a.kind.rfind("REINDEX", 0) == 0 && a.kind.find("CONCURRENTLY") == std::string::npos) {
        report("reindex-not-concurrently", fmt::format("{} blocks writes to {}", a.kind, table));
      } else if (a.kind == "DROP INDEX") {
        report("drop-index-not-concurrently", fmt::format("DROP INDEX {} takes AccessExclusiveLock on its table", table));
      } else if (a.kind == "SET LOGGED" || a.kind == "SET UNLOGGED" || a.kind == "SET ACCESS METHOD" ||
                 a.kind == "SET TABLESPACE") {
        report("table-rewrite", fmt::format("{} rewrites {}", a.kind, table));
      } else if (a.kind == "DETACH PARTITION") {
        report("detach-partition-not-concurrently", fmt::format("{} waits for and blocks every query on {}", a.kind, table));
      } else if (a.kind == "ATTACH PARTITION") {
        report("attach-partition-scans", "the partition is scanned unless a valid CHECK implies its bound");
      } else if (a.kind == "CREATE TRIGGER") {
        report("create-trigger-blocks-writes", fmt::format("CREATE TRIGGER takes ShareRowExclusiveLock on {}", table));
      }
      if (a.kind == "CREATE INDEX" || a.kind == "CREATE UNIQUE INDEX") {
        report("create-index-not-concurrently", fmt::format("{} on {} holds ShareLock for the whole build", a.kind, table));
      }
      if (a.kind.find("CONCURRENTLY") != std::string::npos &&
          (a.kind.rfind("CREATE", 0) == 0 || a.kind.rfind("REINDEX", 0) == 0)) {
        report("concurrently-can-leave-invalid-index", fmt::format("{} on {}", a.kind, table));
      }
    }
  }
  return findings;
}

}  // namespace migsim::migration
