// Lock mode and effect of each statement, from the parse tree alone.
// Facts: ../shared/reference/postgres-locks-and-libs.md §1 (statements) and
// §2 (ALTER TABLE subcommands). Where the catalog decides (a column's current
// type, a function's volatility, an existing CHECK), `depends_on` says so.

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <fmt/format.h>

#include "migration/analysis.h"

namespace migsim::migration::detail {
namespace {

using nlohmann::json;
using sim::LockMode;

// Strength order for combining the effects of several subcommands.
int effect_rank(Effect e) {
  switch (e) {
    case Effect::none: return 0;
    case Effect::catalog: return 1;
    case Effect::dml: return 2;
    case Effect::scan: return 3;
    case Effect::index_build: return 4;
    case Effect::unknown: return 5;
    case Effect::rewrite: return 6;
  }
  return 5;
}

Effect combine(Effect a, Effect b) { return effect_rank(a) >= effect_rank(b) ? a : b; }

const json& field(const json& node, const char* key) {
  static const json kNull;
  auto it = node.find(key);
  return it == node.end() ? kNull : *it;
}

// node[key] when node is an object holding it, else `fallback`.
template <typename T>
T get(const json& node, const char* key, T fallback) {
  if (!node.is_object()) return fallback;
  auto it = node.find(key);
  if (it == node.end()) return fallback;
  return it->get<T>();
}
std::string str(const json& node, const char* key) { return get<std::string>(node, key, ""); }
bool flag(const json& node, const char* key) { return get<bool>(node, key, false); }

// Last element of a qualified name list such as typeName.names or funcname.
std::string last_name(const json& names) {
  if (!names.is_array() || names.empty()) return "";
  const json& s = field(names.back(), "String");
  return s.is_object() ? str(s, "sval") : "";
}

bool contains_key(const json& node, std::string_view key) {
  if (node.is_object()) {
    for (const auto& [k, v] : node.items()) {
      if (k == key || contains_key(v, key)) return true;
    }
  } else if (node.is_array()) {
    for (const auto& v : node) {
      if (contains_key(v, key)) return true;
    }
  }
  return false;
}

// Functions whose presence makes a column default volatile (PG 15 pg_proc).
constexpr std::array<std::string_view, 9> kVolatileFunctions = {
    "random", "clock_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v1",
    "uuid_generate_v1mc", "uuid_generate_v4", "nextval", "setseed"};

// Names of the functions called anywhere in `node`.
void called_functions(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    if (auto it = node.find("FuncCall"); it != node.end()) out.push_back(last_name(field(*it, "funcname")));
    for (const auto& [k, v] : node.items()) called_functions(v, out);
  } else if (node.is_array()) {
    for (const auto& v : node) called_functions(v, out);
  }
}

struct Verdict {
  LockMode mode = LockMode::AccessExclusive;
  Effect effect = Effect::catalog;
  std::string depends_on;
  std::string kind;
};

// Volatility of a default expression: a rewrite when volatile, nothing when
// the expression calls no function outside pg_catalog's well-known stable set.
Verdict default_expression(const json& expr) {
  std::vector<std::string> functions;
  called_functions(expr, functions);
  Verdict v;
  for (const std::string& f : functions) {
    if (std::find(kVolatileFunctions.begin(), kVolatileFunctions.end(), f) != kVolatileFunctions.end()) {
      v.effect = Effect::rewrite;
      v.depends_on.clear();
      return v;
    }
    v.effect = Effect::unknown;
    v.depends_on = fmt::format("volatility of {}() (volatile rewrites the table, otherwise catalog only)", f);
  }
  return v;
}

Verdict add_column(const json& cmd) {
  Verdict v;
  v.kind = "ADD COLUMN";
  const json& def = field(field(cmd, "def"), "ColumnDef");
  const std::string type = last_name(field(field(def, "typeName"), "names"));
  if (type == "serial" || type == "bigserial" || type == "smallserial" || type == "serial4" ||
      type == "serial8" || type == "serial2") {
    v.effect = Effect::rewrite;  // nextval() default
    return v;
  }
  bool has_default = false;
  bool not_null = false;
  for (const json& c : field(def, "constraints")) {
    const json& con = field(c, "Constraint");
    const std::string contype = str(con, "contype");
    if (contype == "CONSTR_DEFAULT") {
      has_default = true;
      Verdict d = default_expression(field(con, "raw_expr"));
      v.effect = combine(v.effect, d.effect);
      if (!d.depends_on.empty()) v.depends_on = d.depends_on;
    } else if (contype == "CONSTR_IDENTITY" || contype == "CONSTR_GENERATED") {
      v.effect = Effect::rewrite;
    } else if (contype == "CONSTR_NOTNULL") {
      not_null = true;
    } else if (contype == "CONSTR_CHECK") {
      v.effect = combine(v.effect, Effect::scan);
    } else if (contype == "CONSTR_UNIQUE" || contype == "CONSTR_PRIMARY") {
      v.effect = combine(v.effect, Effect::index_build);
    } else if (contype == "CONSTR_FOREIGN") {
      v.effect = combine(v.effect, Effect::scan);
    }
  }
  if (not_null && !has_default) v.effect = combine(v.effect, Effect::scan);  // verify_new_notnull
  return v;
}

Verdict alter_column_type(const json& cmd) {
  Verdict v;
  v.kind = "ALTER COLUMN TYPE";
  const json& def = field(field(cmd, "def"), "ColumnDef");
  const json& type_name = field(def, "typeName");
  const std::string type = last_name(field(type_name, "names"));
  if (def.contains("raw_default")) {
    v.effect = Effect::rewrite;  // USING expression: assume it changes values
  } else if (type == "text" || type == "varchar" || type == "numeric") {
    v.effect = Effect::unknown;
    v.depends_on = "the column's current type (binary-coercible changes such as varchar(n) to text or "
                   "to a wider varchar are catalog only; others rewrite the table)";
  } else if (type == "timestamptz" || type == "timestamp") {
    v.effect = Effect::unknown;
    v.depends_on = "the column's current type and the session TimeZone (timestamp <-> timestamptz "
                   "rewrites unless TimeZone is UTC)";
  } else {
    v.effect = Effect::rewrite;
  }
  return v;
}

Verdict add_constraint(const json& cmd) {
  Verdict v;
  const json& con = field(field(cmd, "def"), "Constraint");
  const std::string contype = str(con, "contype");
  const bool not_valid = flag(con, "skip_validation");
  if (contype == "CONSTR_CHECK") {
    v.kind = not_valid ? "ADD CHECK NOT VALID" : "ADD CHECK";
    v.effect = not_valid ? Effect::catalog : Effect::scan;
  } else if (contype == "CONSTR_FOREIGN") {
    v.kind = not_valid ? "ADD FOREIGN KEY NOT VALID" : "ADD FOREIGN KEY";
    v.mode = LockMode::ShareRowExclusive;
    v.effect = not_valid ? Effect::catalog : Effect::scan;
  } else if (contype == "CONSTR_PRIMARY" || contype == "CONSTR_UNIQUE") {
    const bool using_index = con.contains("indexname");
    v.kind = std::string(contype == "CONSTR_PRIMARY" ? "ADD PRIMARY KEY" : "ADD UNIQUE") +
             (using_index ? " USING INDEX" : "");
    v.effect = using_index ? Effect::catalog : Effect::index_build;
  } else {
    v.kind = "ADD CONSTRAINT";
    v.effect = Effect::unknown;
  }
  return v;
}

// Relation options that need only ShareUpdateExclusiveLock (reloptions.c).
bool light_reloption(const std::string& name) {
  return name == "fillfactor" || name == "parallel_workers" || name.rfind("autovacuum_", 0) == 0 ||
         name.rfind("toast.", 0) == 0 || name == "toast_tuple_target" || name == "user_catalog_table";
}

Verdict alter_table_cmd(const json& cmd) {
  const std::string subtype = str(cmd, "subtype");
  Verdict v;
  if (subtype == "AT_AddColumn") return add_column(cmd);
  if (subtype == "AT_AlterColumnType") return alter_column_type(cmd);
  if (subtype == "AT_AddConstraint") return add_constraint(cmd);
  if (subtype == "AT_SetNotNull") {
    v.kind = "ALTER COLUMN SET NOT NULL";
    v.effect = Effect::scan;
    v.depends_on = "a valid CHECK (col IS NOT NULL) on the table (then no scan)";
  } else if (subtype == "AT_DropNotNull") {
    v.kind = "ALTER COLUMN DROP NOT NULL";
  } else if (subtype == "AT_ColumnDefault") {
    v.kind = cmd.contains("def") ? "ALTER COLUMN SET DEFAULT" : "ALTER COLUMN DROP DEFAULT";
  } else if (subtype == "AT_DropColumn") {
    v.kind = "DROP COLUMN";
  } else if (subtype == "AT_DropConstraint") {
    v.kind = "DROP CONSTRAINT";
  } else if (subtype == "AT_ValidateConstraint") {
    v.kind = "VALIDATE CONSTRAINT";
    v.mode = LockMode::ShareUpdateExclusive;
    v.effect = Effect::scan;
  } else if (subtype == "AT_SetStatistics" || subtype == "AT_SetOptions" || subtype == "AT_ResetOptions") {
    v.kind = "ALTER COLUMN SET STATISTICS/OPTIONS";
    v.mode = LockMode::ShareUpdateExclusive;
  } else if (subtype == "AT_ClusterOn" || subtype == "AT_DropCluster") {
    v.kind = subtype == "AT_ClusterOn" ? "CLUSTER ON" : "SET WITHOUT CLUSTER";
    v.mode = LockMode::ShareUpdateExclusive;
  } else if (subtype == "AT_SetRelOptions" || subtype == "AT_ResetRelOptions") {
    v.kind = subtype == "AT_SetRelOptions" ? "SET (storage parameters)" : "RESET (storage parameters)";
    bool light = true;
    for (const json& d : field(cmd, "def")) {
      const json& e = field(d, "DefElem");
      std::string name = str(e, "defname");
      if (e.contains("defnamespace")) name = str(e, "defnamespace") + "." + name;
      light = light && light_reloption(name);
    }
    v.mode = light ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive;
  } else if (subtype.rfind("AT_EnableTrig", 0) == 0 || subtype.rfind("AT_DisableTrig", 0) == 0 ||
             subtype.rfind("AT_EnableAlwaysTrig", 0) == 0 || subtype.rfind("AT_EnableReplicaTrig", 0) == 0) {
    v.kind = "ENABLE/DISABLE TRIGGER";
    v.mode = LockMode::ShareRowExclusive;
  } else if (subtype == "AT_SetLogged" || subtype == "AT_SetUnLogged" || subtype == "AT_SetAccessMethod" ||
             subtype == "AT_SetTableSpace") {
    v.kind = subtype == "AT_SetLogged" ? "SET LOGGED"
             : subtype == "AT_SetUnLogged" ? "SET UNLOGGED"
             : subtype == "AT_SetAccessMethod" ? "SET ACCESS METHOD"
                                               : "SET TABLESPACE";
    v.effect = Effect::rewrite;
  } else if (subtype == "AT_AttachPartition") {
    v.kind = "ATTACH PARTITION";
    v.mode = LockMode::ShareUpdateExclusive;
    v.effect = Effect::scan;
    v.depends_on = "a valid CHECK on the partition implying its bound (then no scan)";
  } else if (subtype == "AT_DetachPartition") {
    v.kind = "DETACH PARTITION";
    const json& pc = field(field(cmd, "def"), "PartitionCmd");
    if (flag(pc, "concurrent")) {
      v.kind += " CONCURRENTLY";
      v.mode = LockMode::ShareUpdateExclusive;
    }
  } else if (subtype == "AT_SetStorage" || subtype == "AT_SetCompression" || subtype == "AT_DropExpression" ||
             subtype == "AT_AddIdentity" || subtype == "AT_SetIdentity" || subtype == "AT_DropIdentity" ||
             subtype == "AT_ReplicaIdentity" || subtype == "AT_ChangeOwner" || subtype == "AT_AddInherit" ||
             subtype == "AT_DropInherit" || subtype.find("RowSecurity") != std::string::npos ||
             subtype.find("Rule") != std::string::npos) {
    v.kind = subtype.substr(3);
  } else {
    v.kind = subtype.size() > 3 ? subtype.substr(3) : subtype;
    v.effect = Effect::unknown;
    v.depends_on = "subcommand not classified yet: measured, lock assumed AccessExclusiveLock";
  }
  return v;
}

// Everything the classifier decided about one statement, before it is copied
// into the Statement.
struct Result {
  std::string kind;
  LockMode target_mode = LockMode::AccessExclusive;
  int target_location = -1;  // RangeVar location of the statement's own table
  std::vector<std::pair<int, LockMode>> other_modes;  // other RangeVars by location
  Effect effect = Effect::catalog;
  std::string depends_on;
  bool in_transaction_block_allowed = true;
  bool takes_locks = true;
};

int location_of(const json& range_var) { return get<int>(range_var, "location", -1); }

Result classify_alter_table(const json& s) {
  Result r;
  r.target_location = location_of(field(s, "relation"));
  r.target_mode = LockMode::ShareUpdateExclusive;  // AlterTableGetLockLevel starts here
  r.effect = Effect::none;
  std::vector<std::string> kinds;
  for (const json& c : field(s, "cmds")) {
    const json& cmd = field(c, "AlterTableCmd");
    Verdict v = alter_table_cmd(cmd);
    r.target_mode = sim::stronger(r.target_mode, v.mode);
    r.effect = combine(r.effect, v.effect);
    if (!v.depends_on.empty()) r.depends_on = r.depends_on.empty() ? v.depends_on : r.depends_on + "; " + v.depends_on;
    if (std::find(kinds.begin(), kinds.end(), v.kind) == kinds.end()) kinds.push_back(v.kind);
    // A foreign key also locks the referenced table (SRX on both).
    const json& con = field(field(cmd, "def"), "Constraint");
    if (str(con, "contype") == "CONSTR_FOREIGN") {
      r.other_modes.emplace_back(location_of(field(con, "pktable")), LockMode::ShareRowExclusive);
    }
    for (const json& cc : field(field(field(cmd, "def"), "ColumnDef"), "constraints")) {
      const json& col_con = field(cc, "Constraint");
      if (str(col_con, "contype") == "CONSTR_FOREIGN") {
        r.other_modes.emplace_back(location_of(field(col_con, "pktable")), LockMode::ShareRowExclusive);
      }
    }
  }
  std::string kind = "ALTER TABLE";
  for (size_t i = 0; i < kinds.size(); ++i) kind += (i == 0 ? " " : ", ") + kinds[i];
  r.kind = kind;
  return r;
}

Result classify_node(const std::string& type, const json& s) {
  Result r;
  if (type == "AlterTableStmt") {
    const std::string objtype = str(s, "objtype");
    if (objtype == "OBJECT_TABLE" || objtype.empty()) return classify_alter_table(s);
    r.kind = "ALTER " + (objtype.size() > 7 ? objtype.substr(7) : objtype);
    r.target_location = location_of(field(s, "relation"));
    r.effect = Effect::unknown;
    r.depends_on = "not classified yet";
  } else if (type == "IndexStmt") {
    const bool concurrent = flag(s, "concurrent");
    r.kind = std::string(flag(s, "unique") ? "CREATE UNIQUE INDEX" : "CREATE INDEX") +
             (concurrent ? " CONCURRENTLY" : "");
    r.target_location = location_of(field(s, "relation"));
    r.target_mode = concurrent ? LockMode::ShareUpdateExclusive : LockMode::Share;
    r.effect = Effect::index_build;
    r.in_transaction_block_allowed = !concurrent;
  } else if (type == "RenameStmt") {
    const std::string what = str(s, "renameType");
    r.kind = "RENAME " + (what.size() > 7 ? what.substr(7) : what);
    r.target_location = location_of(field(s, "relation"));
    r.target_mode = what == "OBJECT_INDEX" ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive;
  } else if (type == "UpdateStmt" || type == "DeleteStmt" || type == "InsertStmt" || type == "MergeStmt") {
    r.kind = type == "UpdateStmt" ? "UPDATE" : type == "DeleteStmt" ? "DELETE" : type == "InsertStmt" ? "INSERT" : "MERGE";
    r.target_location = location_of(field(s, "relation"));
    r.target_mode = LockMode::RowExclusive;
    r.effect = Effect::dml;
    if (type == "UpdateStmt" || type == "DeleteStmt") r.kind += s.contains("whereClause") ? " (WHERE)" : " (all rows)";
  } else if (type == "VacuumStmt") {
    bool full = false;
    for (const json& o : field(s, "options")) full = full || str(field(o, "DefElem"), "defname") == "full";
    const bool vacuum = flag(s, "is_vacuumcmd");
    r.kind = vacuum ? (full ? "VACUUM FULL" : "VACUUM") : "ANALYZE";
    r.target_mode = full ? LockMode::AccessExclusive : LockMode::ShareUpdateExclusive;
    r.effect = full ? Effect::rewrite : Effect::scan;
    r.in_transaction_block_allowed = !vacuum;
    const json& rels = field(s, "rels");
    if (rels.is_array() && !rels.empty()) {
      r.target_location = location_of(field(field(rels[0], "VacuumRelation"), "relation"));
    }
  } else if (type == "ClusterStmt") {
    r.kind = "CLUSTER";
    r.target_location = location_of(field(s, "relation"));
    r.effect = Effect::rewrite;
  } else if (type == "TruncateStmt") {
    r.kind = "TRUNCATE";
    const json& rels = field(s, "relations");
    if (rels.is_array() && !rels.empty()) r.target_location = location_of(field(rels[0], "RangeVar"));
  } else if (type == "LockStmt") {
    r.kind = "LOCK TABLE";
    const int mode = get<int>(s, "mode", 8);
    r.target_mode = static_cast<LockMode>(mode >= 1 && mode <= 8 ? mode : 8);
    const json& rels = field(s, "relations");
    if (rels.is_array() && !rels.empty()) r.target_location = location_of(field(rels[0], "RangeVar"));
    // LOCK TABLE on several tables takes the same mode on each.
    for (const json& rel : rels) r.other_modes.emplace_back(location_of(field(rel, "RangeVar")), r.target_mode);
  } else if (type == "CreateTrigStmt") {
    r.kind = "CREATE TRIGGER";
    r.target_location = location_of(field(s, "relation"));
    r.target_mode = LockMode::ShareRowExclusive;
  } else if (type == "DropStmt") {
    const std::string what = str(s, "removeType");
    r.kind = "DROP " + (what.size() > 7 ? what.substr(7) : what);
    if (flag(s, "concurrent")) {
      r.kind += " CONCURRENTLY";
      r.target_mode = LockMode::ShareUpdateExclusive;
      r.in_transaction_block_allowed = false;
    }
  } else if (type == "CreateStmt") {
    r.kind = "CREATE TABLE";
    r.target_location = location_of(field(s, "relation"));
  } else if (type == "RefreshMatViewStmt") {
    const bool concurrent = flag(s, "concurrent");
    r.kind = concurrent ? "REFRESH MATERIALIZED VIEW CONCURRENTLY" : "REFRESH MATERIALIZED VIEW";
    r.target_location = location_of(field(s, "relation"));
    r.target_mode = concurrent ? LockMode::Exclusive : LockMode::AccessExclusive;
    r.effect = Effect::rewrite;
  } else if (type == "SelectStmt") {
    r.kind = "SELECT";
    r.target_mode = LockMode::AccessShare;
    r.effect = Effect::scan;
  } else if (type == "VariableSetStmt") {
    r.kind = "SET";
    r.effect = Effect::none;
    r.takes_locks = false;
  } else if (type == "TransactionStmt") {
    const std::string k = str(s, "kind");
    r.kind = k.rfind("TRANS_STMT_", 0) == 0 ? k.substr(11) : k;  // TRANS_STMT_BEGIN -> BEGIN
    r.effect = Effect::none;
    r.takes_locks = false;
  } else {
    r.kind = type;
    r.effect = Effect::unknown;
    r.depends_on = "statement type not classified yet";
  }
  return r;
}

// The String values under `node`, joined with '.' (a DROP object's name).
std::string dotted_name(const json& node) {
  std::string out;
  auto walk = [&out](const json& n, auto&& self) -> void {
    if (n.is_object()) {
      if (auto it = n.find("String"); it != n.end()) {
        out += (out.empty() ? "" : ".") + str(*it, "sval");
        return;
      }
      for (const auto& [k, v] : n.items()) self(v, self);
    } else if (n.is_array()) {
      for (const auto& v : n) self(v, self);
    }
  };
  walk(node, walk);
  return out;
}

}  // namespace

void classify(const json& stmt, Statement& statement) {
  const std::string type = stmt.begin().key();
  const Result r = classify_node(type, stmt.begin().value());
  statement.kind = r.kind;
  statement.effect = r.effect;
  statement.depends_on = r.depends_on;
  statement.in_transaction_block_allowed = r.in_transaction_block_allowed;
  statement.is_transaction_control = type == "TransactionStmt";
  statement.is_session_setting = type == "VariableSetStmt";
  const json& body = stmt.begin().value();
  if (statement.is_session_setting) {
    std::string name = str(body, "name");
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    statement.setting_name = str(body, "kind") == "VAR_RESET_ALL" ? "all" : name;
  }
  if (type == "DropStmt") {
    for (const json& object : field(body, "objects")) statement.object_names.push_back(dotted_name(object));
  }
  for (RelationLock& lock : statement.locks) {
    lock.mode = LockMode::AccessShare;  // anything merely read
    const int loc = lock.relation.name_begin;
    if (loc == r.target_location && r.takes_locks) lock.mode = r.target_mode;
    for (const auto& [other, mode] : r.other_modes) {
      if (loc == other) lock.mode = sim::stronger(lock.mode, mode);
    }
  }
}

}  // namespace migsim::migration::detail
