#pragma once
// The migration model: a SQL file parsed into statements, each with the
// relations it touches, the table-level lock PostgreSQL 15 takes on each, and
// its effect on the table's data. Built from the parse tree only (no server),
// so it is the same analysis for `lint` and `estimate`.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/lock_mode.h"

namespace migsim::migration {

// What a statement does to the table's data, which decides how its cost scales.
enum class Effect {
  catalog,      // metadata only: constant time whatever the table size
  scan,         // reads the whole table, no rewrite (e.g. validating a CHECK)
  rewrite,      // new relfilenode: heap copied, all indexes rebuilt
  index_build,  // builds one index: reads the table, sorts
  dml,          // changes rows (UPDATE/DELETE/INSERT)
  none,         // session settings, transaction control
  unknown,      // not classified yet: measured, never assumed constant
};

std::string_view effect_name(Effect effect);

// A table reference as written in the file: byte offsets into the whole file.
struct RelationRef {
  std::string schema;  // empty when unqualified
  std::string name;
  int name_begin = -1;  // byte offset of the (possibly qualified) name
  int name_end = -1;    // one past its last byte
};

struct RelationLock {
  RelationRef relation;
  sim::LockMode mode = sim::LockMode::AccessExclusive;
};

// One thing a statement does: an ALTER TABLE subcommand, or the whole
// statement for everything else. Lint rules read these.
struct Action {
  std::string kind;         // e.g. "ADD COLUMN", "ALTER COLUMN TYPE", "CREATE INDEX"
  Effect effect = Effect::unknown;
  std::string detail;       // what decided the effect, e.g. "volatile default random()"
  std::string column;       // the column acted on, if any
  std::string constraint;   // the constraint named, if any
  std::string not_null_column;  // for ADD CHECK: the column the check proves NOT NULL, if it is `col IS NOT NULL`
  // For ADD FOREIGN KEY (table-level): its columns, and the table and columns
  // it references as written (no columns: the referenced table's primary key).
  std::vector<std::string> key_columns;
  std::string referenced_schema, referenced_table;
  std::vector<std::string> referenced_columns;
  std::string depends_on;
};

// A backfill run in batches, as a `-- migsim:backfill batch_size=N pause=D [key=COLUMN]
// [skip_locked=yes|no]` comment line before an UPDATE declares it: keyset
// pagination by `key` (empty: the table's single-column primary key), a pause
// between batches, and FOR UPDATE SKIP LOCKED when concurrent writers exist.
struct Batching {
  long long batch_rows = 0;
  double pause_s = 0;
  std::string key;
  bool skip_locked = true;
  int line = 0;  // of the directive
};

// What batch_update_sql() needs to know of an UPDATE.
struct UpdateShape {
  int where_keyword = -1;  // byte offset of the WHERE keyword in the file; -1: no WHERE
  int where_begin = -1;    // first byte after the keyword
  bool has_from = false;
  bool has_returning = false;
  bool has_subquery = false;  // a sub-select or a WITH anywhere in it
  std::string alias;       // the target's alias, if any
};

struct Statement {
  std::string sql;      // the statement's text, without the trailing ';'
  int begin = 0;        // byte offset of `sql` in the file
  int line = 1;         // 1-based line of the first token
  int column = 1;       // 1-based column (in characters) of the first token
  std::string node;     // libpg_query node type, e.g. "AlterTableStmt"
  std::string kind;     // normalized, e.g. "ALTER TABLE ALTER COLUMN TYPE"
  std::vector<RelationLock> locks;  // one per relation reference, strongest mode
  Effect effect = Effect::unknown;
  std::string depends_on;   // non-empty when the effect depends on the catalog
  bool in_transaction_block_allowed = true;  // false for CONCURRENTLY, VACUUM
  bool is_transaction_control = false;       // BEGIN, COMMIT, ...
  bool is_session_setting = false;           // SET, RESET
  std::string setting_name;                  // for SET/RESET: the setting, lower case
  std::vector<std::string> object_names;     // for DROP: the dropped names as written, "schema.name"
  std::vector<Action> actions;               // at least one for a classified statement
  std::vector<std::string> functions;        // functions it calls, as written ("name" or "schema.name")
  std::string dml_rows;                      // for dml: "all", "where" (bounded by WHERE) or "unknown"
  int prefix_begin = 0;  // byte offset just after the previous statement's ';' (leading comments start here)
  std::string file;      // set by concatenate(): the file it came from; empty: the migration's source_name
  UpdateShape update;    // for UPDATE
  std::string created_function;          // for CREATE FUNCTION: its name as written
  bool plain_trigger_function = false;   // ...a PL/pgSQL trigger function that only assigns, tests and returns
  std::string trigger_function;          // for CREATE TRIGGER: the function it executes, as written
  std::optional<Batching> batching;  // a batched backfill (UPDATE only)
};

// How the migration is run when its lock is not granted within lock_timeout:
// a `-- migsim:retry attempts=N backoff=D` line (what `migsim plan`'s retry.sh
// does: N attempts in all, waiting D, 2D, 4D ... between them).
struct RetryPolicy {
  int attempts = 1;
  double backoff_s = 1;
};

struct Migration {
  std::string source_name;  // file name, or "<stdin>"
  std::string text;         // the whole file
  std::vector<Statement> statements;
  std::vector<std::string> notes;  // e.g. psql meta-commands that were skipped
  std::optional<RetryPolicy> retry;
};

// The lock_timeout the migration sets (its first `SET lock_timeout`, in
// seconds; a bare number is milliseconds, as PostgreSQL reads it); nullopt
// when it sets none or sets 0 (no timeout).
std::optional<double> lock_timeout_seconds(const Migration& migration);

// A syntax error, located in the file.
class ParseError : public std::runtime_error {
 public:
  ParseError(std::string file, int line, int column, std::string message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string message_;
};

// The migration file cannot be read.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and classifies every statement of `text`. Throws ParseError on a
// syntax error (with the file position of the parser's cursor). psql
// meta-commands on lines of their own (\set, \echo, \timing ...) are
// skipped with a note; those that would change what runs (\i, \ir, \c,
// \if, \gexec, \copy ...) are a ParseError at their position.
Migration parse_migration(std::string text, std::string source_name);

// The text of `path` ("-" for standard input). Throws InputError naming the
// file when it cannot be read.
std::string read_migration_text(const std::string& path);

// The SQL of one batch of a batched UPDATE (`update.batching` set): the
// statement limited to the next `limit` rows (a number or a parameter such as
// "$2") by `key` after `$1` (the last key of the previous batch; with `first`,
// from `$1` inclusive), locked FOR UPDATE [SKIP LOCKED] first, returning the
// keys it wrote, so a job can resume from the largest. Throws ParseError at
// the statement when it cannot be batched (UPDATE ... FROM or RETURNING).
std::string batch_update_sql(const Migration& migration, const Statement& update, const std::string& key,
                             const std::string& limit, bool first = false);

// Parses "300", "300s", "5min", "5m", "1h", "1.5h", "250ms" into seconds;
// nullopt for anything else.
std::optional<double> parse_duration(const std::string& text);

// `name` quoted for SQL when it is not a plain lower-case identifier.
std::string quote_identifier(const std::string& name);

// Reads `path` ("-" for standard input) and parses it. Throws ParseError, or
// InputError naming the file when it cannot be read.
Migration load_migration(const std::string& path);

// "file:line:column" of a statement, for messages.
std::string location(const Migration& migration, const Statement& statement);

// Several migrations as one, in order, to run them one after another: texts
// joined by a newline, byte offsets shifted, each statement's `file` set to its
// migration's source_name (its line and column stay those in that file).
Migration concatenate(const std::vector<Migration>& parts, const std::string& source_name);

// How many times a statement reads every page of the table it changes: once
// for a scan, a rewrite, an index build or a write; twice for a concurrent
// index build (the build, then the validation); none for a batched backfill
// (its batches find their rows through an index), a change to the catalog
// only, or a statement not classified.
int table_passes(const Statement& statement);

// Whether the migration changes the catalog only: every statement's effect is
// catalog (or none: settings, transaction control), and at least one changes
// something. Its time does not depend on the table's rows.
bool changes_only_the_catalog(const Migration& migration);

// The tables the migration changes (targets of ALTER TABLE, CREATE INDEX,
// UPDATE, ...), deduplicated by (schema, name), in order of first appearance.
std::vector<RelationRef> altered_tables(const Migration& migration);

// For each statement, the id of the explicit transaction block (BEGIN ..
// COMMIT/ROLLBACK) it belongs to, or -1 when it runs in a transaction of its
// own. BEGIN and COMMIT themselves belong to their block.
std::vector<int> transaction_blocks(const Migration& migration);

// The statement's SQL with every reference to a table for which `replace`
// returns a non-empty string rewritten to that string (already quoted), by
// parse-tree position, never by text search. Names without a position in the
// parse tree (DROP's objects) are left as written.
template <typename Replace>
std::string redirect_relations(const Statement& statement, Replace&& replace);

// Implementation detail of redirect_relations.
struct NameEdit {
  int begin;
  int end;
  std::string replacement;
};
std::string apply_edits(const Statement& statement, std::vector<NameEdit> edits);

template <typename Replace>
std::string redirect_relations(const Statement& statement, Replace&& replace) {
  std::vector<NameEdit> edits;
  for (const RelationLock& lock : statement.locks) {
    if (lock.relation.name_begin < 0) continue;  // named without a position (DROP): nothing to rewrite
    std::string to = replace(lock.relation);
    if (!to.empty()) edits.push_back({lock.relation.name_begin, lock.relation.name_end, std::move(to)});
  }
  return apply_edits(statement, std::move(edits));
}

}  // namespace migsim::migration
