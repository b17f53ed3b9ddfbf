// `migsim plan`: statement by statement, the safe equivalent in phases.

#include "migration/plan.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <pg_query.h>

#include "migration/analysis.h"

namespace migsim::migration {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxName = 63;  // NAMEDATALEN - 1

const json& field(const json& n, const char* key) {
  static const json null;
  if (!n.is_object()) return null;
  const auto it = n.find(key);
  return it == n.end() ? null : *it;
}

std::string str(const json& n, const char* key) {
  const json& v = field(n, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

int loc(const json& n) {
  const json& v = field(n, "location");
  return v.is_number_integer() ? v.get<int>() : -1;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A name of at most 63 bytes: `base` cut so that `suffix` fits.
std::string name_with(const std::string& base, const std::string& suffix) {
  const size_t room = kMaxName > suffix.size() ? kMaxName - suffix.size() : 0;
  return fmt::format("{}{}", base.substr(0, std::min(base.size(), room)), suffix);
}

// The one statement's parse tree ({"NodeType": {...}}), locations relative to `sql`.
json parse_statement(const std::string& sql) {
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  json tree;
  if (r.error == nullptr) tree = json::parse(r.parse_tree, nullptr, false);
  pg_query_free_parse_result(r);
  if (tree.is_discarded() || !tree.contains("stmts") || tree.at("stmts").size() != 1) return json();
  return tree.at("stmts")[0].at("stmt");
}

// Where the keyword `kw` ends just before `pos` (blanks and '(' between), or -1.
int keyword_before(const std::string& sql, int pos, const std::string& kw) {
  int i = pos;
  while (i > 0 && (std::isspace(static_cast<unsigned char>(sql[static_cast<size_t>(i - 1)])) || sql[static_cast<size_t>(i - 1)] == '(')) --i;
  const int n = static_cast<int>(kw.size());
  if (i < n || lower(sql.substr(static_cast<size_t>(i - n), static_cast<size_t>(n))) != kw) return -1;
  return i - n;
}

// Every single-name column reference in `node`: (location, name).
void column_refs(const json& node, std::vector<std::pair<int, std::string>>& out) {
  if (node.is_array()) {
    for (const json& v : node) column_refs(v, out);
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("ColumnRef")) {
    const json& ref = node.at("ColumnRef");
    const json& fields = field(ref, "fields");
    if (fields.is_array() && fields.size() == 1 && fields[0].contains("String")) {
      out.emplace_back(loc(ref), fields[0].at("String").value("sval", ""));
    }
    return;
  }
  for (const auto& [k, v] : node.items()) column_refs(v, out);
}

// `text` (which starts at byte `base` of the statement) with "NEW." before
// each column reference of `expr`: the expression as a row trigger sees it.
std::string on_new_row(const std::string& text, int base, const json& expr) {
  std::vector<std::pair<int, std::string>> refs;
  column_refs(expr, refs);
  std::sort(refs.rbegin(), refs.rend());
  std::string out = text;
  for (const auto& [at, name] : refs) {
    const int i = at - base;
    if (i >= 0 && i <= static_cast<int>(out.size())) out.insert(static_cast<size_t>(i), "NEW.");
  }
  return out;
}

// `definition` (pg_get_indexdef) with the index renamed and `from` replaced
// by `to` wherever it is an identifier after ON (not inside a string).
std::string rebuild_index(const std::string& definition, const std::string& old_name, const std::string& new_name,
                          const std::string& from, const std::string& to) {
  std::string out = definition;
  const size_t at = out.find(fmt::format(" {} ON ", quote_identifier(old_name)));
  if (at == std::string::npos) return "";
  out.replace(at + 1, quote_identifier(old_name).size(), quote_identifier(new_name));
  const size_t on = out.find(" ON ", at) + 4;
  const size_t open = out.find('(', on);
  if (open == std::string::npos) return "";
  std::string result = out.substr(0, open);
  const std::string want = quote_identifier(from);
  bool quoted_string = false;
  for (size_t i = open; i < out.size();) {
    const char c = out[i];
    if (c == '\'') {
      quoted_string = !quoted_string;
      result += c;
      ++i;
      continue;
    }
    const bool boundary = i == 0 || !(std::isalnum(static_cast<unsigned char>(out[i - 1])) || out[i - 1] == '_' || out[i - 1] == '"');
    const size_t end = i + want.size();
    const bool ends = end >= out.size() || !(std::isalnum(static_cast<unsigned char>(out[end])) || out[end] == '_');
    if (!quoted_string && boundary && out.compare(i, want.size(), want) == 0 && ends) {
      result += quote_identifier(to);
      i = end;
      continue;
    }
    result += c;
    ++i;
  }
  return result;
}

// CREATE INDEX ... -> CREATE INDEX CONCURRENTLY IF NOT EXISTS ... (retryable).
std::string concurrently(const std::string& definition) {
  const std::string l = lower(definition);
  const size_t index = l.find("index ");
  if (index == std::string::npos) return definition;
  std::string rest = definition.substr(index + 6);
  const std::string lr = lower(rest);
  if (lr.rfind("concurrently ", 0) == 0) rest = rest.substr(13);
  if (lower(rest).rfind("if not exists ", 0) == 0) rest = rest.substr(14);
  return fmt::format("{}CONCURRENTLY IF NOT EXISTS {}", definition.substr(0, index + 6), rest);
}

struct Builder {
  const Migration& m;
  const PlanOptions& o;
  // constrain: constraints added NOT VALID after the backfill (a NOT VALID
  // CHECK already applies to every row an UPDATE writes, the backfill's too).
  std::vector<std::string> expand, backfill, constrain, validate, contract, after;
  bool expand_exclusive = false;

  std::string where(const Statement& st) const {
    return fmt::format("{}:{}:{}", st.file.empty() ? m.source_name : st.file, st.line, st.column);
  }
  static std::string table_text(const Migration& m, const Statement& st) {
    const RelationRef& r = st.locks.front().relation;
    return m.text.substr(static_cast<size_t>(r.name_begin), static_cast<size_t>(r.name_end - r.name_begin));
  }

  void batched(const std::string& update) {
    backfill.push_back(fmt::format("-- migsim:backfill batch_size={} pause={}\n{};", o.batch_size, o.pause, update));
  }

  // CHECK (col IS NOT NULL) NOT VALID now, validated without blocking writes;
  // returns the contract's SET NOT NULL (which uses the check: no scan) and the check's drop.
  std::vector<std::string> not_null_via_check(const std::string& table, const std::string& bare_table,
                                              const std::string& column, const std::string& final_column) {
    const std::string check = quote_identifier(name_with(fmt::format("{}_{}", bare_table, column), "_not_null"));
    constrain.push_back(fmt::format("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} IS NOT NULL) NOT VALID;", table, check,
                                    quote_identifier(column)));
    validate.push_back(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {};", table, check));
    return {fmt::format("ALTER TABLE {} ALTER COLUMN {} SET NOT NULL;", table, quote_identifier(final_column)),
            fmt::format("ALTER TABLE {} DROP CONSTRAINT {};", table, check)};
  }

  // The trigger function and trigger in expand, the function's drop after
  // contract; returns the contract's DROP TRIGGER.
  std::string sync_trigger(const std::string& table, const std::string& bare_table, const std::string& column,
                           const std::string& body) {
    const std::string name = quote_identifier(name_with(fmt::format("migsim_sync_{}_{}", bare_table, column), ""));
    expand.push_back(fmt::format("CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{}  "
                                 "RETURN NEW;\nEND\n$$;",
                                 name, body));
    expand.push_back(fmt::format("CREATE TRIGGER {} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW EXECUTE FUNCTION {}();",
                                 name, table, name));
    after.push_back(fmt::format("DROP FUNCTION IF EXISTS {}();", name));
    return fmt::format("DROP TRIGGER {} ON {};", name, table);
  }

  // The old column's indexes built again on `to` (in validate, under a
  // temporary name); returns the contract's renames to the old names.
  std::vector<std::string> rebuild_indexes(const ColumnFacts& facts, const std::string& from, const std::string& to) {
    std::vector<std::string> renames;
    for (const ColumnFacts::Index& index : facts.indexes) {
      const std::string temporary = name_with(index.name, "_new");
      const std::string sql = rebuild_index(index.definition, index.name, temporary, from, to);
      if (sql.empty()) continue;
      validate.push_back(concurrently(sql) + ";");
      renames.push_back(fmt::format("ALTER INDEX {} RENAME TO {};", quote_identifier(temporary), quote_identifier(index.name)));
    }
    return renames;
  }
};

}  // namespace

Plan make_plan(const Migration& m, const PlanOptions& o, const ColumnLookup& lookup) {
  Plan plan;
  plan.source = m.source_name;
  Builder b{m, o, {}, {}, {}, {}, {}, {}, false};
  std::set<std::string> created;  // tables this migration creates: nothing to protect
  auto keep = [&](const Statement& st, const std::string& why) {
    b.expand.push_back(st.sql + ";");
    if (!why.empty()) plan.kept.push_back(fmt::format("{} {}: {}", b.where(st), st.kind, why));
  };
  for (const Statement& st : m.statements) {
    if (st.is_transaction_control) continue;  // each phase has transactions of its own
    if (st.kind == "CREATE TABLE" || st.kind == "CREATE TABLE AS") {
      for (const auto& l : st.locks) created.insert(l.relation.name);
    }
    const bool on_new_table = !st.locks.empty() && created.count(st.locks.front().relation.name) > 0 &&
                              st.kind != "CREATE TABLE" && st.kind != "CREATE TABLE AS";
    const json node = parse_statement(st.sql);
    if (node.is_null() || on_new_table || st.locks.empty() || st.locks.front().relation.name_begin < 0) {
      keep(st, "");
      if (st.locks.size() > 0 && sim::conflicts(sim::LockMode::AccessShare, st.locks.front().mode)) b.expand_exclusive = true;
      continue;
    }
    const std::string type = node.begin().key();
    const json& s = node.begin().value();
    const std::string table = Builder::table_text(m, st);
    const RelationRef& relation = st.locks.front().relation;
    const std::string bare = relation.name;
    const std::string at = b.where(st);

    if (type == "IndexStmt" && !s.value("concurrent", false)) {
      b.validate.push_back(concurrently(st.sql) + ";");
      plan.changes.push_back(fmt::format("{} {}: built CONCURRENTLY, outside a transaction (ShareUpdateExclusiveLock: "
                                         "reads and writes go on)",
                                         at, st.kind));
      ++plan.rewritten;
      continue;
    }
    if (type == "RenameStmt" && str(s, "renameType") == "OBJECT_COLUMN") {
      const std::string from = str(s, "subname");
      const std::string to = str(s, "newname");
      const std::optional<ColumnFacts> facts = lookup ? lookup(relation, from) : std::nullopt;
      if (!facts) {
        keep(st, "a rename is planned from the column's type, default and indexes: give --dsn so migsim can read them");
        b.expand_exclusive = true;
        continue;
      }
      if (!facts->constraints.empty()) {
        keep(st, fmt::format("{} is used by constraints ({}), which the plan does not rebuild", from,
                             fmt::format("{}", fmt::join(facts->constraints, ", "))));
        b.expand_exclusive = true;
        continue;
      }
      const std::string f = quote_identifier(from), t = quote_identifier(to);
      b.expand_exclusive = true;
      b.expand.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {} {};", table, t, facts->type));
      std::vector<std::string> contract = {b.sync_trigger(
          table, bare, from,
          fmt::format("  IF TG_OP = 'INSERT' THEN\n    IF NEW.{1} IS NULL THEN NEW.{1} := NEW.{0}; ELSE NEW.{0} := "
                      "NEW.{1}; END IF;\n  ELSIF NEW.{1} IS DISTINCT FROM OLD.{1} THEN\n    NEW.{0} := NEW.{1};\n"
                      "  ELSE\n    NEW.{1} := NEW.{0};\n  END IF;\n",
                      f, t))};
      b.batched(fmt::format("UPDATE {} SET {} = {} WHERE {} IS NULL AND {} IS NOT NULL", table, t, f, t, f));
      const std::vector<std::string> renames = b.rebuild_indexes(*facts, from, to);
      if (facts->not_null) {
        for (std::string& line : b.not_null_via_check(table, bare, to, to)) contract.push_back(std::move(line));
      }
      contract.push_back(fmt::format("ALTER TABLE {} DROP COLUMN {};", table, f));
      contract.insert(contract.end(), renames.begin(), renames.end());
      if (!facts->default_expr.empty()) {
        contract.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};", table, t, facts->default_expr));
      }
      b.contract.insert(b.contract.end(), contract.begin(), contract.end());
      plan.changes.push_back(fmt::format("{} {} {} -> {}: a new column kept in step by a trigger both ways, a batched "
                                         "backfill, the application switches to {}, then the old column is dropped",
                                         at, st.kind, from, to, to));
      ++plan.rewritten;
      continue;
    }
    if (type == "AlterTableStmt" && field(s, "cmds").size() == 1) {
      const json& cmd = field(s.at("cmds")[0], "AlterTableCmd");
      const std::string subtype = str(cmd, "subtype");
      const json& def = field(cmd, "def");
      const Action& action = st.actions.front();
      if (subtype == "AT_AddConstraint" && field(def, "Constraint").is_object()) {
        const json& con = def.at("Constraint");
        const std::string contype = str(con, "contype");
        const bool foreign = contype == "CONSTR_FOREIGN";
        if ((foreign || contype == "CONSTR_CHECK") && !con.value("skip_validation", false)) {
          std::string name = str(con, "conname");
          std::string add = st.sql;
          if (name.empty()) {
            // PostgreSQL's own choice of name, given explicitly so VALIDATE can name it.
            std::vector<std::string> columns;
            if (foreign) {
              for (const json& a : field(con, "fk_attrs")) columns.push_back(a.at("String").value("sval", ""));
            } else {
              std::vector<std::pair<int, std::string>> refs;
              column_refs(field(con, "raw_expr"), refs);
              std::set<std::string> distinct;
              for (const auto& r : refs) distinct.insert(r.second);
              if (distinct.size() == 1) columns.push_back(*distinct.begin());
            }
            std::string base = bare;
            for (const std::string& c : columns) base = fmt::format("{}_{}", base, c);
            name = name_with(base, foreign ? "_fkey" : "_check");
            const int c = loc(con);
            add = fmt::format("{}CONSTRAINT {} {}", st.sql.substr(0, static_cast<size_t>(c)), quote_identifier(name),
                              st.sql.substr(static_cast<size_t>(c)));
          }
          b.constrain.push_back(add + " NOT VALID;");
          b.validate.push_back(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {};", table, quote_identifier(name)));
          plan.changes.push_back(fmt::format("{} {}: added NOT VALID (new rows checked at once), then validated with "
                                             "ShareUpdateExclusiveLock{}",
                                             at, st.kind, foreign ? " (RowShareLock on the referenced table)" : ""));
          ++plan.rewritten;
          continue;
        }
      }
      if (subtype == "AT_AddColumn" && action.effect == Effect::rewrite) {
        // A volatile default rewrites the table: add it empty, default new rows, backfill the old ones.
        const json& col = field(def, "ColumnDef");
        const std::string column = str(col, "colname");
        const json& constraints = field(col, "constraints");
        int end_of_type = static_cast<int>(st.sql.size());
        std::string default_text;
        bool not_null = false, other = false;
        for (size_t i = 0; i < constraints.size(); ++i) {
          const json& c = field(constraints[i], "Constraint");
          end_of_type = std::min(end_of_type, loc(c));
          const int next = i + 1 < constraints.size() ? loc(field(constraints[i + 1], "Constraint")) : static_cast<int>(st.sql.size());
          const std::string ct = str(c, "contype");
          if (ct == "CONSTR_DEFAULT") {
            const int from = detail::first_location(field(c, "raw_expr"));
            default_text = trim(st.sql.substr(static_cast<size_t>(from), static_cast<size_t>(next - from)));
            // "(random())": the parenthesis before the expression's first token belongs to it.
            const int open = keyword_before(st.sql, from, "default");
            if (open >= 0) default_text = trim(st.sql.substr(static_cast<size_t>(open + 7), static_cast<size_t>(next - open - 7)));
          } else if (ct == "CONSTR_NOTNULL") {
            not_null = true;
          } else if (ct != "CONSTR_NULL") {
            other = true;
          }
        }
        const int type_at = loc(field(col, "typeName"));
        if (other || default_text.empty() || type_at < 0 || field(col, "collClause").is_object()) {
          keep(st, "the column has constraints besides NOT NULL and DEFAULT; add them in a statement of their own to get a plan");
          b.expand_exclusive = true;
          continue;
        }
        const std::string column_type = trim(st.sql.substr(static_cast<size_t>(type_at), static_cast<size_t>(end_of_type - type_at)));
        const std::string c = quote_identifier(column);
        b.expand_exclusive = true;
        b.expand.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {} {};", table, c, column_type));
        b.expand.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};", table, c, default_text));
        b.batched(fmt::format("UPDATE {} SET {} = {} WHERE {} IS NULL", table, c, default_text, c));
        if (not_null) {
          for (std::string& line : b.not_null_via_check(table, bare, column, column)) b.contract.push_back(std::move(line));
        }
        plan.changes.push_back(fmt::format("{} {} {}: added without its volatile default (no rewrite), the default set "
                                           "for new rows, the existing rows backfilled in batches{}",
                                           at, st.kind, column, not_null ? ", NOT NULL proved by a validated CHECK" : ""));
        ++plan.rewritten;
        continue;
      }
      if (subtype == "AT_AlterColumnType" && action.effect == Effect::rewrite) {
        const std::string column = str(cmd, "name");
        const json& col = field(def, "ColumnDef");
        const int type_at = loc(field(col, "typeName"));
        const json& using_expr = field(col, "raw_default");
        int type_end = static_cast<int>(st.sql.size());
        std::string using_text;
        std::string trigger_expr;
        if (using_expr.is_object()) {
          const int from = detail::first_location(using_expr);
          const int kw = keyword_before(st.sql, from, "using");
          if (kw < 0) {
            keep(st, "cannot find the USING keyword of this type change");
            b.expand_exclusive = true;
            continue;
          }
          type_end = kw;
          const int after = kw + 5;
          using_text = trim(st.sql.substr(static_cast<size_t>(after)));
          const int lead = static_cast<int>(st.sql.substr(static_cast<size_t>(after)).find_first_not_of(" \t\r\n"));
          trigger_expr = on_new_row(using_text, after + lead, using_expr);
        }
        const std::optional<ColumnFacts> facts = lookup ? lookup(relation, column) : std::nullopt;
        if (!facts || type_at < 0) {
          keep(st, "a type change is planned from the column's default, NOT NULL and indexes: give --dsn so migsim can "
                   "read them");
          b.expand_exclusive = true;
          continue;
        }
        if (!facts->constraints.empty()) {
          keep(st, fmt::format("{} is used by constraints ({}), which the plan does not rebuild", column,
                               fmt::format("{}", fmt::join(facts->constraints, ", "))));
          b.expand_exclusive = true;
          continue;
        }
        const std::string new_type = trim(st.sql.substr(static_cast<size_t>(type_at), static_cast<size_t>(type_end - type_at)));
        const std::string temp_name = name_with(column, "_new");
        const std::string c = quote_identifier(column), n = quote_identifier(temp_name);
        const std::string value = using_text.empty() ? fmt::format("{}::{}", c, new_type) : using_text;
        const std::string trigger_value = using_text.empty() ? fmt::format("NEW.{}::{}", c, new_type) : trigger_expr;
        b.expand_exclusive = true;
        b.expand.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {} {};", table, n, new_type));
        std::vector<std::string> contract = {b.sync_trigger(table, bare, column, fmt::format("  NEW.{} := {};\n", n, trigger_value))};
        b.batched(fmt::format("UPDATE {} SET {} = {} WHERE {} IS NULL AND {} IS NOT NULL", table, n, value, n, c));
        const std::vector<std::string> renames = b.rebuild_indexes(*facts, column, temp_name);
        if (facts->not_null) {
          for (std::string& line : b.not_null_via_check(table, bare, temp_name, temp_name)) contract.push_back(std::move(line));
        }
        contract.push_back(fmt::format("ALTER TABLE {} DROP COLUMN {};", table, c));
        contract.push_back(fmt::format("ALTER TABLE {} RENAME COLUMN {} TO {};", table, n, c));
        contract.insert(contract.end(), renames.begin(), renames.end());
        if (!facts->default_expr.empty()) {
          contract.push_back(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {};", table, c, facts->default_expr));
        }
        b.contract.insert(b.contract.end(), contract.begin(), contract.end());
        plan.changes.push_back(fmt::format("{} {} {} -> {}: a new column kept in step by a trigger, a batched "
                                           "backfill, its indexes built CONCURRENTLY, then swapped in one short "
                                           "transaction",
                                           at, st.kind, column, new_type));
        ++plan.rewritten;
        continue;
      }
    }
    // No safe form known: as written.
    const bool exclusive = std::any_of(st.locks.begin(), st.locks.end(), [](const RelationLock& l) {
      return sim::conflicts(sim::LockMode::RowExclusive, l.mode);
    });
    if (exclusive) b.expand_exclusive = true;
    const bool slow = st.effect == Effect::rewrite || st.effect == Effect::scan || st.effect == Effect::index_build ||
                      st.effect == Effect::dml;
    keep(st, slow && exclusive ? "migsim knows no safe form of it: it stays as written (and blocks writes while it runs)"
                               : "");
  }

  // The phase files.
  const std::string lock_timeout = fmt::format("SET lock_timeout = '{}';", o.lock_timeout);
  struct Part {
    std::string name;
    std::string about;
    std::vector<std::string> statements;
    bool transaction;
    bool exclusive;
    bool same_deploy;
  };
  const std::vector<Part> parts = {
      {"expand", "Catalog changes only, in one short transaction; the application may start writing the new columns",
       b.expand, true, b.expand_exclusive, false},
      {"backfill",
       "The existing rows, in batches by primary key (a job runs the batch SQL `migsim compare` prints until it "
       "returns no row); locks only the rows of one batch at a time. Runs after the expand deploy",
       b.backfill, false, false, true},
      {"constrain", "Constraints added NOT VALID (catalog only, in one short transaction), after the backfill",
       b.constrain, true, true, true},
      {"validate", "Index builds and validations that block neither reads nor writes (ShareUpdateExclusiveLock)",
       b.validate, false, false, true},
      {"contract", "Deploy the application that reads only the new columns first; then the swap, in one short transaction",
       b.contract, true, !b.contract.empty(), false},
  };
  int number = 0;
  for (const Part& part : parts) {
    if (part.statements.empty()) continue;
    ++number;
    std::string sql = fmt::format("-- migsim plan for {}, phase {}: {}.\n-- {}.\n", m.source_name, number, part.name, part.about);
    if (part.same_deploy) sql += "-- migsim:same-deploy (it ships with the phase before it)\n";
    if (part.exclusive) {
      sql += fmt::format("-- It takes AccessExclusiveLock for milliseconds: run it with retry.sh, which retries when the lock\n"
                         "-- is not granted within lock_timeout (SQLSTATE 55P03) instead of queueing the traffic behind it.\n"
                         "-- migsim:retry attempts=10 backoff=1s\n{}\n",
                         lock_timeout);
    }
    if (part.transaction) sql += "BEGIN;\n";
    for (const std::string& statement : part.statements) sql += statement + "\n";
    if (part.transaction) sql += "COMMIT;\n";
    if (part.name == "contract") {
      for (const std::string& statement : b.after) sql += statement + "\n";
    }
    plan.phases.push_back({part.name, fmt::format("{}-{}.sql", number, part.name), sql});
  }
  return plan;
}

std::string retry_script() {
  return R"(#!/bin/sh
# migsim plan's retry wrapper: runs one phase file with psql, and runs it again
# when a lock was not granted within the phase's lock_timeout (SQLSTATE 55P03),
# instead of letting the table's traffic queue behind the waiting migration.
#   usage: ./retry.sh PHASE.sql [psql connection options]
#   e.g.:  ./retry.sh 1-expand.sql "$DATABASE_URL"
# MIGSIM_ATTEMPTS (default 10) attempts, waiting 1, 2, 4 ... seconds (at most 60) between them.
set -u
phase=$1; shift
attempts=${MIGSIM_ATTEMPTS:-10}
wait=1
n=1
while :; do
  out=$(psql -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -f "$phase" "$@" 2>&1)
  status=$?
  printf '%s\n' "$out"
  [ $status -eq 0 ] && exit 0
  if ! printf '%s' "$out" | grep -q '55P03'; then exit $status; fi
  if [ $n -ge "$attempts" ]; then
    echo "retry.sh: $phase: lock not granted after $n attempts" >&2
    exit $status
  fi
  echo "retry.sh: $phase: lock not granted (attempt $n of $attempts); retrying in ${wait}s" >&2
  sleep $wait
  n=$((n + 1))
  wait=$((wait * 2)); [ $wait -gt 60 ] && wait=60
done
)";
}

}  // namespace migsim::migration
