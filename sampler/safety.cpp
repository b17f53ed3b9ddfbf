// The pre-flight check: what migsim refuses to run against the scratch copy.

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "sampler/errors.h"
#include "sampler/sampler.h"

namespace migsim::sampler {
namespace {

using migration::Statement;

// Statement types that only act on the tables they name (checked below).
// CREATE FUNCTION and CREATE TRIGGER are checked further below: only
// PL/pgSQL trigger functions that run no SQL of their own, created in the
// scratch schema.
constexpr std::array<std::string_view, 15> kRunnableNodes = {
    "AlterTableStmt", "IndexStmt",  "RenameStmt",  "UpdateStmt",         "DeleteStmt",
    "InsertStmt",     "MergeStmt",  "VacuumStmt",  "ClusterStmt",        "TruncateStmt",
    "LockStmt",       "DropStmt",   "VariableSetStmt", "CreateFunctionStmt", "CreateTrigStmt"};

// Settings a migration may change on its session: none of them changes name
// resolution, identity or read-only-ness.
constexpr std::array<std::string_view, 12> kRunnableSettings = {
    "lock_timeout", "statement_timeout", "maintenance_work_mem", "work_mem",
    "max_parallel_maintenance_workers", "idle_in_transaction_session_timeout", "synchronous_commit",
    "client_min_messages", "timezone", "application_name", "deadlock_timeout", "temp_buffers"};

// Built-in functions known to have no effect outside the statement's own
// result: what a migration's expressions use. Anything else (a user function,
// nextval() on a production sequence, pg_terminate_backend, dblink, file
// access) is refused unless the user allows it by name.
constexpr std::string_view kSafeFunctions[] = {
    "abs", "age", "array_append", "array_cat", "array_length", "array_position", "array_prepend", "array_remove",
    "array_to_string", "ascii", "bit_length", "btrim", "cardinality", "cbrt", "ceil", "ceiling", "char_length",
    "character_length", "chr", "clock_timestamp", "concat", "concat_ws", "current_date", "date_part",
    "date_trunc", "decode", "div", "encode", "exp", "extract", "floor", "format", "gen_random_uuid", "greatest",
    "initcap", "isfinite", "json_build_array", "json_build_object", "jsonb_build_array", "jsonb_build_object",
    "jsonb_extract_path", "jsonb_extract_path_text", "jsonb_set", "jsonb_strip_nulls", "jsonb_typeof",
    "justify_interval", "least", "left", "length", "ln", "log", "lower", "lpad", "ltrim", "make_date",
    "make_interval", "make_time", "make_timestamp", "make_timestamptz", "md5", "mod", "now", "nullif",
    "octet_length", "overlay", "position", "power", "random", "regexp_match", "regexp_replace", "repeat",
    "replace", "reverse", "right", "round", "rpad", "rtrim", "sha256", "sign", "split_part", "sqrt",
    "starts_with", "statement_timestamp", "string_to_array", "strpos", "substr", "substring", "timezone",
    "to_char", "to_date", "to_json", "to_jsonb", "to_number", "to_timestamp", "transaction_timestamp", "trim",
    "trunc", "upper", "generate_series", "unnest", "count", "sum", "min", "max", "avg", "string_agg",
    "array_agg", "jsonb_agg", "json_agg", "bool_and", "bool_or", "row_number", "rank", "dense_rank"};

bool allowed_function(const std::string& name, const std::set<std::string>& extra) {
  if (extra.count(name)) return true;
  const size_t dot = name.rfind('.');
  const std::string schema = dot == std::string::npos ? "" : name.substr(0, dot);
  const std::string base = dot == std::string::npos ? name : name.substr(dot + 1);
  if (!schema.empty() && schema != "pg_catalog") return false;
  return std::find(std::begin(kSafeFunctions), std::end(kSafeFunctions), base) != std::end(kSafeFunctions);
}

[[noreturn]] void refuse(const migration::Migration& m, const Statement& st, const std::string& why) {
  throw UnsafeMigration(fmt::format("{}: {} — migsim did not run the migration", migration::location(m, st), why));
}

bool same_table(const migration::RelationRef& a, const migration::RelationRef& target) {
  return a.name == target.name && (a.schema.empty() || target.schema.empty() || a.schema == target.schema);
}

}  // namespace

bool known_side_effect_free(const std::string& function) { return allowed_function(function, {}); }

void check_runnable(const migration::Migration& m, const migration::RelationRef& target, const Allowances& allow,
                    const std::vector<migration::RelationRef>& copied) {
  for (const Statement& st : m.statements) {
    if (st.is_transaction_control) continue;
    if (st.node == "DoStmt" && allow.do_blocks) continue;  // opted in; the lock fence still applies
    for (const std::string& f : st.functions) {
      if (!allowed_function(f, allow.functions)) {
        refuse(m, st, fmt::format("the statement calls {}(), which migsim does not know to be free of side effects "
                                  "outside the copy; pass --allow-function {} to run it on the copy anyway",
                                  f, f));
      }
    }
    if (std::find(kRunnableNodes.begin(), kRunnableNodes.end(), st.node) == kRunnableNodes.end()) {
      refuse(m, st, fmt::format("{} statements are not run against the scratch copy (they could change objects "
                                "outside it){}",
                                st.kind, st.node == "DoStmt" ? "; --allow-do runs DO blocks on the copy anyway" : ""));
    }
    if (st.kind == "ALTER INDEX RENAME TO") {
      // An index of the copy, by its unqualified name (the copy's indexes keep their names in the scratch schema).
      for (const migration::RelationLock& lock : st.locks) {
        if (!lock.relation.schema.empty()) {
          refuse(m, st, fmt::format("ALTER INDEX {}.{} names a schema, so it cannot be redirected to the scratch copy; "
                                    "write the index name unqualified",
                                    lock.relation.schema, lock.relation.name));
        }
      }
      continue;
    }
    for (const migration::RelationLock& lock : st.locks) {
      if (st.node == "DropStmt") break;  // names without a position: checked below
      bool is_copied = false;
      for (const migration::RelationRef& c : copied) is_copied = is_copied || same_table(lock.relation, c);
      if (!same_table(lock.relation, target) && !is_copied) {
        const std::string name =
            lock.relation.schema.empty() ? lock.relation.name : lock.relation.schema + "." + lock.relation.name;
        refuse(m, st, fmt::format("the statement references table {}, but only {} is copied; migrations that "
                                  "touch several tables are not supported yet",
                                  name, target.schema.empty() ? target.name : target.schema + "." + target.name));
      }
      if (lock.relation.name_begin < 0 || lock.relation.name_end <= lock.relation.name_begin) {
        refuse(m, st, "cannot locate a table name in the statement to redirect it");
      }
    }
    if (st.is_session_setting && !allow.settings.count(st.setting_name) &&
        std::find(kRunnableSettings.begin(), kRunnableSettings.end(), st.setting_name) == kRunnableSettings.end()) {
      refuse(m, st, fmt::format("setting '{}' is not allowed on the scratch session (only timeouts, memory and "
                                "similar settings are); --allow-setting {} sets it anyway",
                                st.setting_name, st.setting_name));
    }
    if ((st.node == "VacuumStmt" || st.node == "ClusterStmt") && st.locks.empty()) {
      refuse(m, st, fmt::format("{} without a table name would act on the whole database", st.kind));
    }
    if (st.node == "CreateFunctionStmt") {
      // Unqualified, it is created in the scratch schema (first on the scratch session's search_path).
      if (st.created_function.find('.') != std::string::npos) {
        refuse(m, st, fmt::format("CREATE FUNCTION {} names a schema, so it would be created outside the scratch "
                                  "copy; write the name unqualified",
                                  st.created_function));
      }
      if (!st.plain_trigger_function) {
        refuse(m, st, "only PL/pgSQL trigger functions that assign, test and return (no SQL statements of their "
                      "own) are run against the scratch copy");
      }
    }
    if (st.node == "CreateTrigStmt" && st.trigger_function.find('.') != std::string::npos) {
      refuse(m, st, fmt::format("the trigger executes {}, a schema-qualified function outside the scratch copy; "
                                "write the name unqualified (it resolves to the scratch schema or pg_catalog)",
                                st.trigger_function));
    }
    if (st.node == "DropStmt") {
      if (st.kind != "DROP INDEX" && st.kind != "DROP INDEX CONCURRENTLY" && st.kind != "DROP TABLE" &&
          st.kind != "DROP TRIGGER" && st.kind != "DROP FUNCTION") {
        refuse(m, st, fmt::format("{} is not run against the scratch copy", st.kind));
      }
      // DROP names carry no parse location, so they cannot be redirected:
      // only unqualified names, which resolve inside the scratch schema.
      for (const std::string& name : st.object_names) {
        if (name.find('.') != std::string::npos) {
          refuse(m, st, fmt::format("DROP of the schema-qualified name {} cannot be redirected to the scratch copy; "
                                    "write the name unqualified",
                                    name));
        }
      }
    }
  }
}

}  // namespace migsim::sampler
