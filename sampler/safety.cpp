// The pre-flight check: what migsim refuses to run against the scratch copy.

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "sampler/errors.h"
#include "sampler/sampler.h"

namespace migsim::sampler {
namespace {

using migration::Statement;

// Statement types that only act on the tables they name (checked below).
constexpr std::array<std::string_view, 13> kRunnableNodes = {
    "AlterTableStmt", "IndexStmt",  "RenameStmt",  "UpdateStmt",      "DeleteStmt",
    "InsertStmt",     "MergeStmt",  "VacuumStmt",  "ClusterStmt",     "TruncateStmt",
    "LockStmt",       "DropStmt",   "VariableSetStmt"};

// Settings a migration may change on its session: none of them changes name
// resolution, identity or read-only-ness.
constexpr std::array<std::string_view, 12> kRunnableSettings = {
    "lock_timeout", "statement_timeout", "maintenance_work_mem", "work_mem",
    "max_parallel_maintenance_workers", "idle_in_transaction_session_timeout", "synchronous_commit",
    "client_min_messages", "timezone", "application_name", "deadlock_timeout", "temp_buffers"};

[[noreturn]] void refuse(const migration::Migration& m, const Statement& st, const std::string& why) {
  throw UnsafeMigration(fmt::format("{}:{}:{}: {} — migsim did not run the migration", m.source_name, st.line,
                                    st.column, why));
}

bool same_table(const migration::RelationRef& a, const migration::RelationRef& target) {
  return a.name == target.name && (a.schema.empty() || target.schema.empty() || a.schema == target.schema);
}

}  // namespace

void check_runnable(const migration::Migration& m, const migration::RelationRef& target) {
  for (const Statement& st : m.statements) {
    if (st.is_transaction_control) continue;
    if (std::find(kRunnableNodes.begin(), kRunnableNodes.end(), st.node) == kRunnableNodes.end()) {
      refuse(m, st, fmt::format("{} statements are not run against the scratch copy (they could change objects "
                                "outside it)",
                                st.kind));
    }
    for (const migration::RelationLock& lock : st.locks) {
      if (st.node == "DropStmt") break;  // names without a position: checked below
      if (!same_table(lock.relation, target)) {
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
    if (st.is_session_setting &&
        std::find(kRunnableSettings.begin(), kRunnableSettings.end(), st.setting_name) == kRunnableSettings.end()) {
      refuse(m, st, fmt::format("setting '{}' is not allowed on the scratch session (only timeouts, memory and "
                                "similar settings are)",
                                st.setting_name));
    }
    if ((st.node == "VacuumStmt" || st.node == "ClusterStmt") && st.locks.empty()) {
      refuse(m, st, fmt::format("{} without a table name would act on the whole database", st.kind));
    }
    if (st.node == "DropStmt") {
      if (st.kind != "DROP INDEX" && st.kind != "DROP INDEX CONCURRENTLY" && st.kind != "DROP TABLE") {
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
