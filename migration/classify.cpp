// Lock mode and effect of each statement, from the parse tree alone.
// Facts: ../shared/reference/postgres-locks-and-libs.md §1 (statements) and
// §2 (ALTER TABLE subcommands). Where the catalog decides (a column's current
// type, a function's volatility, an existing CHECK), `depends_on` says so.

#include <algorithm>
#include <array>
#include <memory>
#include <cctype>
#include <string>

#include <fmt/format.h>
#include <pg_query.h>

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
  if (!node.is_object()) return kNull;
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
  return str(field(names.back(), "String"), "sval");
}

// Functions that make a column default volatile (PG 15 pg_proc.provolatile = 'v').
constexpr std::array<std::string_view, 11> kVolatileFunctions = {
    "random", "clock_timestamp", "timeofday", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
    "uuid_generate_v4", "nextval", "setseed", "txid_current", "pg_current_xact_id"};

// Well-known built-in functions that are immutable or stable, so a default
// using only these is evaluated once ("fast default", catalog only).
constexpr std::array<std::string_view, 32> kNonVolatileFunctions = {
    "now", "statement_timestamp", "transaction_timestamp", "current_setting", "lower", "upper", "length",
    "concat", "concat_ws", "md5", "substr", "substring", "replace", "trim", "btrim", "abs", "round", "floor",
    "ceil", "greatest", "least", "to_jsonb", "to_json", "jsonb_build_object", "json_build_object",
    "jsonb_build_array", "json_build_array", "make_date", "make_timestamptz", "date_trunc", "to_timestamp",
    "array_fill"};

template <size_t N>
bool in(const std::array<std::string_view, N>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
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


// Qualified names of the functions called anywhere in `node`.
void qualified_functions(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    if (auto it = node.find("FuncCall"); it != node.end()) {
      const std::string name = dotted_name(field(*it, "funcname"));
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    for (const auto& [k, v] : node.items()) qualified_functions(v, out);
  } else if (node.is_array()) {
    for (const auto& v : node) qualified_functions(v, out);
  }
}

// Whether `key` (a node type, e.g. "SubLink") occurs anywhere in `node`.
bool has_node(const json& node, const char* key) {
  if (node.is_object()) {
    if (node.contains(key)) return true;
    for (const auto& [k, v] : node.items()) {
      if (has_node(v, key)) return true;
    }
  } else if (node.is_array()) {
    for (const auto& v : node) {
      if (has_node(v, key)) return true;
    }
  }
  return false;
}

// The column name of a ColumnRef node, or "".
std::string column_ref_name(const json& node) {
  const json& fields = field(field(node, "ColumnRef"), "fields");
  return last_name(fields);
}

struct Verdict {
  LockMode mode = LockMode::AccessExclusive;
  Action action;
};

Verdict catalog(std::string kind, LockMode mode = LockMode::AccessExclusive) {
  Verdict v;
  v.mode = mode;
  v.action.kind = std::move(kind);
  v.action.effect = Effect::catalog;
  return v;
}

// A default expression: rewrite when it calls a volatile function, catalog
// only when every function it calls is known to be non-volatile, otherwise
// it depends on the catalog.
void default_expression(const json& expr, Action& a) {
  std::vector<std::string> functions;
  qualified_functions(expr, functions);
  for (std::string& f : functions) f = f.substr(f.rfind('.') + 1);  // volatility is known by built-in name
  for (const std::string& f : functions) {
    if (in(kVolatileFunctions, f)) {
      a.effect = Effect::rewrite;
      a.detail = fmt::format("volatile default {}()", f);
      a.depends_on.clear();
      return;
    }
  }
  for (const std::string& f : functions) {
    if (!in(kNonVolatileFunctions, f)) {
      a.effect = combine(a.effect, Effect::unknown);
      a.depends_on = fmt::format("the volatility of {}() (volatile rewrites the table, otherwise catalog only)", f);
      return;
    }
  }
  a.detail = "non-volatile default";
}

Verdict add_column(const json& cmd) {
  Verdict v = catalog("ADD COLUMN");
  Action& a = v.action;
  const json& def = field(field(cmd, "def"), "ColumnDef");
  a.column = str(def, "colname");
  const std::string type = last_name(field(field(def, "typeName"), "names"));
  if (type == "serial" || type == "bigserial" || type == "smallserial" || type == "serial4" ||
      type == "serial8" || type == "serial2") {
    a.effect = Effect::rewrite;
    a.detail = fmt::format("{} (a nextval() default)", type);
    return v;
  }
  bool has_default = false;
  bool not_null = false;
  for (const json& c : field(def, "constraints")) {
    const json& con = field(c, "Constraint");
    const std::string contype = str(con, "contype");
    if (contype == "CONSTR_DEFAULT") {
      has_default = true;
      default_expression(field(con, "raw_expr"), a);
    } else if (contype == "CONSTR_IDENTITY") {
      a.effect = Effect::rewrite;
      a.detail = "identity column";
    } else if (contype == "CONSTR_GENERATED") {
      a.effect = Effect::rewrite;
      a.detail = "stored generated column";
    } else if (contype == "CONSTR_NOTNULL") {
      not_null = true;
    } else if (contype == "CONSTR_CHECK") {
      a.effect = combine(a.effect, Effect::scan);
    } else if (contype == "CONSTR_UNIQUE" || contype == "CONSTR_PRIMARY") {
      a.effect = combine(a.effect, Effect::index_build);
    } else if (contype == "CONSTR_FOREIGN") {
      v.mode = LockMode::AccessExclusive;
      a.effect = combine(a.effect, Effect::scan);
    }
  }
  if (not_null && !has_default) {
    a.effect = combine(a.effect, Effect::scan);  // verify_new_notnull: fails if the table has rows
    a.detail = "NOT NULL without a default";
  }
  return v;
}

// The SQL spelling of the parser's internal type names.
std::string sql_type_name(const std::string& internal) {
  static const std::array<std::pair<std::string_view, std::string_view>, 8> names = {{
      {"int2", "smallint"}, {"int4", "integer"}, {"int8", "bigint"}, {"float4", "real"},
      {"float8", "double precision"}, {"bool", "boolean"}, {"bpchar", "char"}, {"varbit", "bit varying"},
  }};
  for (const auto& [from, to] : names) {
    if (internal == from) return std::string(to);
  }
  return internal;
}

Verdict alter_column_type(const json& cmd) {
  Verdict v = catalog("ALTER COLUMN TYPE");
  Action& a = v.action;
  a.column = str(cmd, "name");
  const json& def = field(field(cmd, "def"), "ColumnDef");
  const std::string type = last_name(field(field(def, "typeName"), "names"));
  a.detail = "to " + sql_type_name(type);
  if (def.contains("raw_default")) {
    a.effect = Effect::rewrite;
    a.detail += " USING an expression";
  } else if (type == "text" || type == "varchar" || type == "numeric" || type == "bpchar" || type == "varbit" ||
             type == "bit") {
    a.effect = Effect::unknown;
    a.depends_on = "the column's current type (varchar(n) to text or to a wider varchar, and widening numeric, are "
                   "catalog only; other changes rewrite the table)";
  } else if (type == "timestamptz" || type == "timestamp") {
    a.effect = Effect::unknown;
    a.depends_on = "the column's current type and the session TimeZone (timestamp <-> timestamptz rewrites unless "
                   "TimeZone is UTC)";
  } else {
    a.effect = Effect::rewrite;
  }
  return v;
}

Verdict add_constraint(const json& cmd) {
  Verdict v = catalog("ADD CONSTRAINT");
  Action& a = v.action;
  const json& con = field(field(cmd, "def"), "Constraint");
  const std::string contype = str(con, "contype");
  const bool not_valid = flag(con, "skip_validation");
  a.constraint = str(con, "conname");
  if (contype == "CONSTR_CHECK") {
    a.kind = not_valid ? "ADD CHECK NOT VALID" : "ADD CHECK";
    a.effect = not_valid ? Effect::catalog : Effect::scan;
    const json& expr = field(con, "raw_expr");
    const json& test = field(expr, "NullTest");
    if (str(test, "nulltesttype") == "IS_NOT_NULL") a.not_null_column = column_ref_name(field(test, "arg"));
  } else if (contype == "CONSTR_FOREIGN") {
    a.kind = not_valid ? "ADD FOREIGN KEY NOT VALID" : "ADD FOREIGN KEY";
    v.mode = LockMode::ShareRowExclusive;
    for (const json& c : field(con, "fk_attrs")) a.key_columns.push_back(str(field(c, "String"), "sval"));
    for (const json& c : field(con, "pk_attrs")) a.referenced_columns.push_back(str(field(c, "String"), "sval"));
    a.referenced_schema = str(field(con, "pktable"), "schemaname");
    a.referenced_table = str(field(con, "pktable"), "relname");
    a.effect = not_valid ? Effect::catalog : Effect::scan;
  } else if (contype == "CONSTR_PRIMARY" || contype == "CONSTR_UNIQUE") {
    const bool using_index = con.contains("indexname");
    a.kind = std::string(contype == "CONSTR_PRIMARY" ? "ADD PRIMARY KEY" : "ADD UNIQUE") +
             (using_index ? " USING INDEX" : "");
    a.effect = using_index ? Effect::catalog : Effect::index_build;
    if (using_index && contype == "CONSTR_PRIMARY") {
      a.depends_on = "whether the key columns are already NOT NULL (otherwise a scan checks them)";
    }
  } else if (contype == "CONSTR_EXCLUSION") {
    a.kind = "ADD EXCLUDE";
    a.effect = Effect::index_build;
  } else {
    a.effect = Effect::unknown;
  }
  return v;
}

// Relation options that need only ShareUpdateExclusiveLock (reloptions.c).
bool light_reloption(const std::string& name) {
  return name == "fillfactor" || name == "parallel_workers" || name.rfind("autovacuum_", 0) == 0 ||
         name.rfind("toast.", 0) == 0 || name == "toast_tuple_target" || name == "user_catalog_table" ||
         name == "vacuum_index_cleanup" || name == "vacuum_truncate" || name == "log_autovacuum_min_duration";
}

std::string after_prefix(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

// "AT_SetCompression" -> "ALTER COLUMN SET COMPRESSION", and so on.
std::string subcommand_name(const std::string& subtype) {
  static const std::array<std::pair<std::string_view, std::string_view>, 16> names = {{
      {"AT_SetStorage", "ALTER COLUMN SET STORAGE"},
      {"AT_SetCompression", "ALTER COLUMN SET COMPRESSION"},
      {"AT_DropExpression", "ALTER COLUMN DROP EXPRESSION"},
      {"AT_AddIdentity", "ALTER COLUMN ADD IDENTITY"},
      {"AT_SetIdentity", "ALTER COLUMN SET IDENTITY"},
      {"AT_DropIdentity", "ALTER COLUMN DROP IDENTITY"},
      {"AT_ReplicaIdentity", "REPLICA IDENTITY"},
      {"AT_ChangeOwner", "OWNER TO"},
      {"AT_AddInherit", "INHERIT"},
      {"AT_DropInherit", "NO INHERIT"},
      {"AT_AddOf", "OF"},
      {"AT_DropOf", "NOT OF"},
      {"AT_GenericOptions", "OPTIONS"},
      {"AT_EnableRowSecurity", "ENABLE ROW LEVEL SECURITY"},
      {"AT_DisableRowSecurity", "DISABLE ROW LEVEL SECURITY"},
      {"AT_ForceRowSecurity", "FORCE ROW LEVEL SECURITY"},
  }};
  for (const auto& [from, to] : names) {
    if (subtype == from) return std::string(to);
  }
  if (subtype.find("Rule") != std::string::npos) return subtype.rfind("AT_Disable", 0) == 0 ? "DISABLE RULE" : "ENABLE RULE";
  return after_prefix(subtype, "AT_");
}

Verdict alter_table_cmd(const json& cmd) {
  const std::string subtype = str(cmd, "subtype");
  const std::string column = str(cmd, "name");
  Verdict v;
  if (subtype == "AT_AddColumn") return add_column(cmd);
  if (subtype == "AT_AlterColumnType") return alter_column_type(cmd);
  if (subtype == "AT_AddConstraint") return add_constraint(cmd);
  if (subtype == "AT_SetNotNull") {
    v = catalog("ALTER COLUMN SET NOT NULL");
    v.action.effect = Effect::scan;
    v.action.depends_on = "a valid CHECK (col IS NOT NULL) on the table (then no scan)";
  } else if (subtype == "AT_DropNotNull") {
    v = catalog("ALTER COLUMN DROP NOT NULL");
  } else if (subtype == "AT_ColumnDefault") {
    v = catalog(cmd.contains("def") ? "ALTER COLUMN SET DEFAULT" : "ALTER COLUMN DROP DEFAULT");
  } else if (subtype == "AT_DropColumn") {
    v = catalog("DROP COLUMN");
  } else if (subtype == "AT_DropConstraint") {
    v = catalog("DROP CONSTRAINT");
    v.action.constraint = column;
  } else if (subtype == "AT_ValidateConstraint") {
    v = catalog("VALIDATE CONSTRAINT", LockMode::ShareUpdateExclusive);
    v.action.effect = Effect::scan;
    v.action.constraint = column;
  } else if (subtype == "AT_AlterConstraint") {
    v = catalog("ALTER CONSTRAINT");
  } else if (subtype == "AT_SetStatistics") {
    v = catalog("ALTER COLUMN SET STATISTICS", LockMode::ShareUpdateExclusive);
  } else if (subtype == "AT_SetOptions" || subtype == "AT_ResetOptions") {
    v = catalog(subtype == "AT_SetOptions" ? "ALTER COLUMN SET (options)" : "ALTER COLUMN RESET (options)",
                LockMode::ShareUpdateExclusive);
  } else if (subtype == "AT_ClusterOn" || subtype == "AT_DropCluster") {
    v = catalog(subtype == "AT_ClusterOn" ? "CLUSTER ON" : "SET WITHOUT CLUSTER", LockMode::ShareUpdateExclusive);
  } else if (subtype == "AT_SetRelOptions" || subtype == "AT_ResetRelOptions" || subtype == "AT_ReplaceRelOptions") {
    bool light = true;
    const json& def = field(cmd, "def");
    const json& options = def.contains("List") ? field(field(def, "List"), "items") : def;
    for (const json& d : options) {
      const json& e = field(d, "DefElem");
      std::string name = str(e, "defname");
      if (e.contains("defnamespace")) name = str(e, "defnamespace") + "." + name;
      light = light && light_reloption(name);
    }
    v = catalog(subtype == "AT_SetRelOptions" ? "SET (storage parameters)" : "RESET (storage parameters)",
                light ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive);
  } else if (subtype.find("Trig") != std::string::npos) {
    v = catalog(subtype.rfind("AT_Disable", 0) == 0 ? "DISABLE TRIGGER" : "ENABLE TRIGGER",
                LockMode::ShareRowExclusive);
  } else if (subtype == "AT_SetLogged" || subtype == "AT_SetUnLogged" || subtype == "AT_SetAccessMethod") {
    v = catalog(subtype == "AT_SetLogged" ? "SET LOGGED" : subtype == "AT_SetUnLogged" ? "SET UNLOGGED" : "SET ACCESS METHOD");
    v.action.effect = Effect::rewrite;
  } else if (subtype == "AT_SetTableSpace") {
    v = catalog("SET TABLESPACE");
    v.action.effect = Effect::rewrite;
    v.action.detail = "block copy into the new tablespace";
  } else if (subtype == "AT_AttachPartition") {
    v = catalog("ATTACH PARTITION", LockMode::ShareUpdateExclusive);
    v.action.effect = Effect::scan;
    v.action.depends_on = "a valid CHECK on the partition implying its bound (then no scan)";
  } else if (subtype == "AT_DetachPartition") {
    const bool concurrent = flag(field(field(cmd, "def"), "PartitionCmd"), "concurrent");
    v = catalog(concurrent ? "DETACH PARTITION CONCURRENTLY" : "DETACH PARTITION",
                concurrent ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive);
  } else if (subtype == "AT_DetachPartitionFinalize") {
    v = catalog("DETACH PARTITION FINALIZE", LockMode::ShareUpdateExclusive);
  } else if (subtype == "AT_SetStorage" || subtype == "AT_SetCompression" || subtype == "AT_DropExpression" ||
             subtype == "AT_AddIdentity" || subtype == "AT_SetIdentity" || subtype == "AT_DropIdentity" ||
             subtype == "AT_ReplicaIdentity" || subtype == "AT_ChangeOwner" || subtype == "AT_AddInherit" ||
             subtype == "AT_DropInherit" || subtype == "AT_AddOf" || subtype == "AT_DropOf" ||
             subtype == "AT_GenericOptions" || subtype.find("RowSecurity") != std::string::npos ||
             subtype.find("Rule") != std::string::npos) {
    v = catalog(subcommand_name(subtype));
  } else {
    v = catalog(after_prefix(subtype, "AT_"));
    v.action.effect = Effect::unknown;
    v.action.depends_on = "subcommand not classified yet: lock assumed AccessExclusiveLock";
  }
  if (v.action.column.empty()) v.action.column = column;
  return v;
}

// Everything the classifier decided about one statement, before it is copied
// into the Statement.
struct Result {
  std::string kind;
  LockMode target_mode = LockMode::AccessExclusive;
  int target_location = -1;  // RangeVar location of the statement's own table
  std::vector<std::pair<int, LockMode>> other_modes;  // other RangeVars by location
  std::vector<Action> actions;
  std::string dml_rows;
  bool in_transaction_block_allowed = true;
  bool takes_locks = true;
};

int location_of(const json& range_var) { return get<int>(range_var, "location", -1); }

Result single(std::string kind, Effect effect, LockMode mode, int target) {
  Result r;
  r.kind = kind;
  r.target_mode = mode;
  r.target_location = target;
  Action a;
  a.kind = std::move(kind);
  a.effect = effect;
  r.actions.push_back(a);
  return r;
}

Result classify_alter_table(const json& s) {
  Result r;
  r.target_location = location_of(field(s, "relation"));
  r.target_mode = LockMode::ShareUpdateExclusive;  // AlterTableGetLockLevel starts here
  std::vector<std::string> kinds;
  for (const json& c : field(s, "cmds")) {
    const json& cmd = field(c, "AlterTableCmd");
    const Verdict v = alter_table_cmd(cmd);
    r.target_mode = sim::stronger(r.target_mode, v.mode);
    r.actions.push_back(v.action);
    if (std::find(kinds.begin(), kinds.end(), v.action.kind) == kinds.end()) kinds.push_back(v.action.kind);
    if (v.action.kind == "DETACH PARTITION CONCURRENTLY") r.in_transaction_block_allowed = false;
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
    // ATTACH/DETACH (also CONCURRENTLY, in its second transaction) end up
    // holding AccessExclusiveLock on the partition, and on the default
    // partition, which only the catalog knows.
    const json& part = field(field(cmd, "def"), "PartitionCmd");
    if (part.is_object()) r.other_modes.emplace_back(location_of(field(part, "name")), LockMode::AccessExclusive);
  }
  r.kind = "ALTER TABLE";
  for (size_t i = 0; i < kinds.size(); ++i) r.kind += (i == 0 ? " " : ", ") + kinds[i];
  return r;
}

Result classify_node(const std::string& type, const json& s) {
  if (type == "AlterTableStmt") {
    const std::string objtype = str(s, "objtype");
    if (objtype == "OBJECT_TABLE" || objtype.empty()) return classify_alter_table(s);
    Result r = classify_alter_table(s);
    r.kind = "ALTER " + after_prefix(objtype, "OBJECT_") + r.kind.substr(std::string("ALTER TABLE").size());
    return r;
  }
  if (type == "IndexStmt") {
    const bool concurrent = flag(s, "concurrent");
    Result r = single(std::string(flag(s, "unique") ? "CREATE UNIQUE INDEX" : "CREATE INDEX") +
                          (concurrent ? " CONCURRENTLY" : ""),
                      Effect::index_build, concurrent ? LockMode::ShareUpdateExclusive : LockMode::Share,
                      location_of(field(s, "relation")));
    r.in_transaction_block_allowed = !concurrent;
    return r;
  }
  if (type == "ReindexStmt") {
    bool concurrent = false;
    for (const json& p : field(s, "params")) concurrent = concurrent || str(field(p, "DefElem"), "defname") == "concurrently";
    const std::string what = after_prefix(str(s, "kind"), "REINDEX_OBJECT_");
    Result r = single("REINDEX " + what + (concurrent ? " CONCURRENTLY" : ""), Effect::index_build,
                      concurrent ? LockMode::ShareUpdateExclusive : (what == "INDEX" ? LockMode::AccessExclusive : LockMode::Share),
                      location_of(field(s, "relation")));
    r.in_transaction_block_allowed = !concurrent;
    return r;
  }
  if (type == "RenameStmt") {
    const std::string what = after_prefix(str(s, "renameType"), "OBJECT_");
    const std::string rel_type = after_prefix(str(s, "relationType"), "OBJECT_");
    std::string kind = "RENAME " + what;
    if (what == "TABLE" || what == "INDEX" || what == "VIEW" || what == "MATVIEW" || what == "SEQUENCE") kind = "ALTER " + what + " RENAME TO";
    if (what == "COLUMN") kind = "ALTER TABLE RENAME COLUMN";
    if (what == "TABCONSTRAINT") kind = "ALTER TABLE RENAME CONSTRAINT";
    Result r = single(kind, Effect::catalog,
                      what == "INDEX" ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive,
                      location_of(field(s, "relation")));
    r.actions[0].column = str(s, "subname");
    return r;
  }
  if (type == "UpdateStmt" || type == "DeleteStmt" || type == "InsertStmt" || type == "MergeStmt") {
    const std::string kind = type == "UpdateStmt"   ? "UPDATE"
                             : type == "DeleteStmt" ? "DELETE"
                             : type == "InsertStmt" ? "INSERT"
                                                    : "MERGE";
    Result r = single(kind, Effect::dml, LockMode::RowExclusive, location_of(field(s, "relation")));
    if (type == "UpdateStmt" || type == "DeleteStmt") {
      r.dml_rows = s.contains("whereClause") ? "where" : "all";
    } else if (type == "InsertStmt") {
      // VALUES lists are bounded; INSERT ... SELECT can be any size.
      const json& select = field(field(s, "selectStmt"), "SelectStmt");
      r.dml_rows = select.contains("valuesLists") ? "where" : "unknown";
    } else {
      r.dml_rows = "unknown";
    }
    return r;
  }
  if (type == "VacuumStmt") {
    bool full = false;
    for (const json& o : field(s, "options")) full = full || str(field(o, "DefElem"), "defname") == "full";
    const bool vacuum = flag(s, "is_vacuumcmd");
    int target = -1;
    const json& rels = field(s, "rels");
    if (rels.is_array() && !rels.empty()) target = location_of(field(field(rels[0], "VacuumRelation"), "relation"));
    Result r = single(vacuum ? (full ? "VACUUM FULL" : "VACUUM") : "ANALYZE", full ? Effect::rewrite : Effect::scan,
                      full ? LockMode::AccessExclusive : LockMode::ShareUpdateExclusive, target);
    for (const json& rel : rels) r.other_modes.emplace_back(location_of(field(field(rel, "VacuumRelation"), "relation")), r.target_mode);
    r.in_transaction_block_allowed = !vacuum;
    return r;
  }
  if (type == "ClusterStmt") return single("CLUSTER", Effect::rewrite, LockMode::AccessExclusive, location_of(field(s, "relation")));
  if (type == "TruncateStmt") {
    const json& rels = field(s, "relations");
    Result r = single("TRUNCATE", Effect::catalog, LockMode::AccessExclusive,
                      rels.is_array() && !rels.empty() ? location_of(field(rels[0], "RangeVar")) : -1);
    r.actions[0].detail = "new empty relfilenode: every row is gone";
    for (const json& rel : rels) r.other_modes.emplace_back(location_of(field(rel, "RangeVar")), LockMode::AccessExclusive);
    return r;
  }
  if (type == "LockStmt") {
    const int mode = get<int>(s, "mode", 8);
    const json& rels = field(s, "relations");
    Result r = single("LOCK TABLE", Effect::catalog, static_cast<LockMode>(mode >= 1 && mode <= 8 ? mode : 8),
                      rels.is_array() && !rels.empty() ? location_of(field(rels[0], "RangeVar")) : -1);
    for (const json& rel : rels) r.other_modes.emplace_back(location_of(field(rel, "RangeVar")), r.target_mode);
    return r;
  }
  if (type == "CreateTrigStmt") {
    return single("CREATE TRIGGER", Effect::catalog, LockMode::ShareRowExclusive, location_of(field(s, "relation")));
  }
  if (type == "DropStmt") {
    const std::string what = after_prefix(str(s, "removeType"), "OBJECT_");
    const bool concurrent = flag(s, "concurrent");
    Result r = single("DROP " + what + (concurrent ? " CONCURRENTLY" : ""), Effect::catalog,
                      concurrent ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive, -1);
    r.in_transaction_block_allowed = !concurrent;
    if (what == "TABLE") r.actions[0].depends_on = "tables referencing it by foreign key (each is locked AccessExclusiveLock too)";
    // Functions, procedures and the like lock no table.
    if (what == "FUNCTION" || what == "PROCEDURE" || what == "ROUTINE" || what == "TYPE" || what == "DOMAIN") {
      r.takes_locks = false;
    }
    return r;
  }
  if (type == "CreateStmt") {
    Result r = single(s.contains("partbound") ? "CREATE TABLE PARTITION OF" : "CREATE TABLE", Effect::catalog,
                      LockMode::AccessExclusive, location_of(field(s, "relation")));
    // A foreign key to another table takes ShareRowExclusiveLock on it.
    auto foreign_keys = [&r](const json& n, auto&& self) -> void {
      if (n.is_object()) {
        const json& con = field(n, "Constraint");
        if (str(con, "contype") == "CONSTR_FOREIGN") {
          r.other_modes.emplace_back(location_of(field(con, "pktable")), LockMode::ShareRowExclusive);
        }
        for (const auto& [k, v] : n.items()) self(v, self);
      } else if (n.is_array()) {
        for (const auto& v : n) self(v, self);
      }
    };
    foreign_keys(field(s, "tableElts"), foreign_keys);
    // The parent: AccessExclusiveLock for PARTITION OF (its partition
    // descriptor changes), ShareUpdateExclusiveLock for INHERITS (DefineRelation).
    for (const json& p : field(s, "inhRelations")) {
      r.other_modes.emplace_back(location_of(field(p, "RangeVar")), s.contains("partbound")
                                                                         ? LockMode::AccessExclusive
                                                                         : LockMode::ShareUpdateExclusive);
    }
    return r;
  }
  if (type == "CreateTableAsStmt") {
    const json& into = field(field(s, "into"), "IntoClause");
    Result r = single(str(s, "objtype") == "OBJECT_MATVIEW" ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS",
                      Effect::scan, LockMode::AccessExclusive, location_of(field(into, "rel")));
    return r;
  }
  if (type == "RefreshMatViewStmt") {
    const bool concurrent = flag(s, "concurrent");
    // CONCURRENTLY recomputes the view and applies the difference as row
    // changes (no new relfilenode); without it the view is rewritten.
    Result r = single(concurrent ? "REFRESH MATERIALIZED VIEW CONCURRENTLY" : "REFRESH MATERIALIZED VIEW",
                      concurrent ? Effect::dml : Effect::rewrite,
                      concurrent ? LockMode::Exclusive : LockMode::AccessExclusive, location_of(field(s, "relation")));
    if (concurrent) r.dml_rows = "unknown";
    return r;
  }
  if (type == "SelectStmt") return single("SELECT", Effect::scan, LockMode::AccessShare, -1);
  // Objects that are not tables: catalog changes that lock no table.
  static const std::array<std::pair<std::string_view, std::string_view>, 12> kNoTableLock = {{
      {"CreateFunctionStmt", "CREATE FUNCTION"},
      {"CreateSeqStmt", "CREATE SEQUENCE"},
      {"AlterSeqStmt", "ALTER SEQUENCE"},
      {"CreateEnumStmt", "CREATE TYPE AS ENUM"},
      {"AlterEnumStmt", "ALTER TYPE ADD VALUE"},
      {"CompositeTypeStmt", "CREATE TYPE"},
      {"CreateDomainStmt", "CREATE DOMAIN"},
      {"CreateExtensionStmt", "CREATE EXTENSION"},
      {"CreateSchemaStmt", "CREATE SCHEMA"},
      {"DefineStmt", "CREATE (definition)"},
      {"CreateRangeStmt", "CREATE TYPE AS RANGE"},
      {"AlterFunctionStmt", "ALTER FUNCTION"},
  }};
  for (const auto& [node, kind] : kNoTableLock) {
    if (type == node) {
      Result r = single(std::string(kind), Effect::catalog, LockMode::AccessShare, -1);
      r.takes_locks = false;
      return r;
    }
  }
  if (type == "ViewStmt") {
    // The new view is created; the tables its query reads get AccessShareLock.
    return single(flag(s, "replace") ? "CREATE OR REPLACE VIEW" : "CREATE VIEW", Effect::catalog,
                  LockMode::AccessExclusive, location_of(field(s, "view")));
  }
  if (type == "CommentStmt") return single("COMMENT", Effect::catalog, LockMode::ShareUpdateExclusive, -1);
  if (type == "CreateStatsStmt") return single("CREATE STATISTICS", Effect::catalog, LockMode::ShareUpdateExclusive, -1);
  if (type == "VariableSetStmt" || type == "TransactionStmt") {
    std::string kind = "SET";
    if (type == "TransactionStmt") kind = after_prefix(str(s, "kind"), "TRANS_STMT_");
    else if (str(s, "kind") == "VAR_RESET" || str(s, "kind") == "VAR_RESET_ALL") kind = "RESET";
    Result r = single(kind, Effect::none, LockMode::AccessShare, -1);
    r.takes_locks = false;
    return r;
  }
  Result r = single(type, Effect::unknown, LockMode::AccessExclusive, -1);
  r.actions[0].depends_on = "statement type not classified yet";
  return r;
}

// Where an UPDATE's WHERE keyword is: back from its condition's first token
// over blanks and opening parentheses. Left at -1 when something else (a
// comment, say) stands between them.
UpdateShape update_shape(const json& s, const Statement& statement) {
  UpdateShape u;
  u.has_from = s.contains("fromClause");
  u.has_returning = s.contains("returningList");
  u.has_subquery = s.contains("withClause") || has_node(s, "SubLink");
  u.alias = str(field(field(s, "relation"), "alias"), "aliasname");
  if (!s.contains("whereClause")) return u;
  int i = first_location(s.at("whereClause")) - statement.begin;
  if (i < 0 || i > static_cast<int>(statement.sql.size())) return u;
  while (i > 0 && (std::isspace(static_cast<unsigned char>(statement.sql[i - 1])) || statement.sql[i - 1] == '(')) --i;
  if (i < 5) return u;
  std::string word = statement.sql.substr(static_cast<size_t>(i - 5), 5);
  std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool boundary = i == 5 || !(std::isalnum(static_cast<unsigned char>(statement.sql[i - 6])) || statement.sql[i - 6] == '_');
  if (word != "where" || !boundary) return u;
  u.where_keyword = statement.begin + i - 5;
  u.where_begin = statement.begin + i;
  return u;
}

// A PL/pgSQL trigger function's body: whether it only assigns, tests and
// returns (runs no SQL statement of its own), and the functions its
// expressions call, added to the statement's (so the sampler's allowlist
// applies to them too).
void read_function_body(const json& s, Statement& statement) {
  statement.created_function = dotted_name(field(s, "funcname"));
  std::string language;
  const std::string returns = dotted_name(field(field(s, "returnType"), "names"));
  for (const json& o : field(s, "options")) {
    if (str(field(o, "DefElem"), "defname") == "language") language = str(field(field(field(o, "DefElem"), "arg"), "String"), "sval");
  }
  if (language != "plpgsql" || (returns != "trigger" && returns != "pg_catalog.trigger")) return;
  std::unique_ptr<PgQueryPlpgsqlParseResult, void (*)(PgQueryPlpgsqlParseResult*)> parsed(
      new PgQueryPlpgsqlParseResult(pg_query_parse_plpgsql(statement.sql.c_str())),
      [](PgQueryPlpgsqlParseResult* r) {
        pg_query_free_plpgsql_parse_result(*r);
        delete r;
      });
  if (parsed->error != nullptr || parsed->plpgsql_funcs == nullptr) return;
  json funcs;
  try {
    funcs = json::parse(parsed->plpgsql_funcs);
  } catch (const json::exception&) {
    return;
  }
  bool plain = true;
  std::vector<std::string> called;
  auto walk = [&](const json& n, auto&& self) -> void {
    if (n.is_array()) {
      for (const json& v : n) self(v, self);
      return;
    }
    if (!n.is_object()) return;
    for (const auto& [k, v] : n.items()) {
      if (k.rfind("PLpgSQL_stmt_", 0) == 0 && k != "PLpgSQL_stmt_block" && k != "PLpgSQL_stmt_if" &&
          k != "PLpgSQL_stmt_assign" && k != "PLpgSQL_stmt_return") {
        plain = false;
      }
      if (k == "PLpgSQL_expr") {
        // "NEW.a := expr" or a bare expression: parsed as a SELECT of its right-hand side.
        std::string query = str(v, "query");
        const size_t assign = query.find(":=");
        if (assign != std::string::npos) query = query.substr(assign + 2);
        PgQueryParseResult r = pg_query_parse(("SELECT " + query).c_str());
        if (r.error != nullptr) {
          plain = false;
        } else {
          try {
            qualified_functions(json::parse(r.parse_tree), called);
          } catch (const json::exception&) {
            plain = false;
          }
        }
        pg_query_free_parse_result(r);
      }
      if (k != "datums") self(v, self);
    }
  };
  for (const json& f : funcs) walk(field(field(f, "PLpgSQL_function"), "action"), walk);
  statement.plain_trigger_function = plain;
  statement.functions.insert(statement.functions.end(), called.begin(), called.end());
}

}  // namespace

void classify(const json& stmt, Statement& statement) {
  const std::string type = stmt.begin().key();
  const json& body = stmt.begin().value();
  const Result r = classify_node(type, body);
  statement.kind = r.kind;
  statement.actions = r.actions;
  statement.dml_rows = r.dml_rows;
  statement.effect = Effect::none;
  for (const Action& a : r.actions) {
    statement.effect = combine(statement.effect, a.effect);
    if (!a.depends_on.empty()) {
      statement.depends_on += (statement.depends_on.empty() ? "" : "; ") + a.depends_on;
    }
  }
  statement.in_transaction_block_allowed = r.in_transaction_block_allowed;
  statement.is_transaction_control = type == "TransactionStmt";
  statement.is_session_setting = type == "VariableSetStmt";
  if (statement.is_session_setting) {
    std::string name = str(body, "name");
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    statement.setting_name = str(body, "kind") == "VAR_RESET_ALL" ? "all" : name;
  }
  if (type == "DropStmt") {
    const std::string what = str(body, "removeType");
    for (const json& object : field(body, "objects")) {
      if (what == "OBJECT_TRIGGER") {
        // [schema.]table.trigger: the lock is on the table.
        std::string name = dotted_name(object);
        statement.object_names.push_back(name.substr(0, name.rfind('.')));
      } else if (object.contains("ObjectWithArgs")) {
        statement.object_names.push_back(dotted_name(field(object.at("ObjectWithArgs"), "objname")));
      } else {
        statement.object_names.push_back(dotted_name(object));
      }
    }
  }
  if (type == "CreateFunctionStmt") read_function_body(body, statement);
  if (type == "CreateTrigStmt") statement.trigger_function = dotted_name(field(body, "funcname"));
  qualified_functions(body, statement.functions);
  if (type == "UpdateStmt") statement.update = update_shape(body, statement);
  for (RelationLock& lock : statement.locks) {
    lock.mode = LockMode::AccessShare;  // anything merely read
    const int loc = lock.relation.name_begin;
    if (loc == r.target_location && r.takes_locks) lock.mode = r.target_mode;
    for (const auto& [other, mode] : r.other_modes) {
      if (loc == other) lock.mode = sim::stronger(lock.mode, mode);
    }
  }
  // Objects named without a RangeVar (DROP, COMMENT ON): the lock is on them.
  if (type == "DropStmt" && r.takes_locks) {
    for (const std::string& name : statement.object_names) {
      RelationLock lock;
      const size_t dot = name.rfind('.');
      lock.relation.name = dot == std::string::npos ? name : name.substr(dot + 1);
      lock.relation.schema = dot == std::string::npos ? "" : name.substr(0, dot);
      lock.mode = r.target_mode;
      statement.locks.push_back(lock);
    }
  }
}

int first_location(const json& node) {
  int best = -1;
  if (node.is_object()) {
    for (const auto& [k, v] : node.items()) {
      int loc = -1;
      if (k == "location" && v.is_number_integer()) loc = v.get<int>();
      else loc = first_location(v);
      if (loc >= 0 && (best < 0 || loc < best)) best = loc;
    }
  } else if (node.is_array()) {
    for (const json& v : node) {
      const int loc = first_location(v);
      if (loc >= 0 && (best < 0 || loc < best)) best = loc;
    }
  }
  return best;
}

}  // namespace migsim::migration::detail
