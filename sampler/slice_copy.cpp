#include "sampler/slice_copy.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "sampler/copy_rows.h"

namespace migsim::sampler::detail {
namespace {

// Insertable columns of a table (no dropped or generated ones), quoted.
std::vector<std::string> insertable_columns(pqxx::transaction_base& tx, const std::string& qualified) {
  std::vector<std::string> cols;
  for (const pqxx::row& r : tx.exec_params("SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass "
                                           "AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                                           qualified)) {
    cols.push_back(tx.quote_name(r[0].as<std::string>()));
  }
  return cols;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

// Index-backed constraints (p, u, x) of a table, by name.
std::vector<std::pair<std::string, std::string>> key_constraints(pqxx::transaction_base& tx, const std::string& qualified) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const pqxx::row& r : tx.exec_params("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                           "WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') ORDER BY oid",
                                           qualified)) {
    out.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
  }
  return out;
}

// Columns whose default calls nextval() still point at the source's sequence
// after CREATE TABLE ... LIKE; give each its own scratch sequence so that the
// migration (and the copy) never advance a production sequence.
void detach_sequences(pqxx::work& tx, const std::string& schema, const std::string& table) {
  const std::string qualified = tx.quote_name(schema) + "." + tx.quote_name(table);
  const pqxx::result r = tx.exec_params(
      "SELECT a.attname, a.attnum FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = "
      "d.adnum WHERE d.adrelid = $1::regclass AND pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%'",
      qualified);
  for (const pqxx::row& row : r) {
    const std::string column = row[0].as<std::string>();
    const std::string seq = fmt::format("{}_seq_{}", table, row[1].as<int>());
    const std::string seq_q = tx.quote_name(schema) + "." + tx.quote_name(seq);
    tx.exec0("CREATE SEQUENCE " + seq_q + " OWNED BY " + qualified + "." + tx.quote_name(column));
    // (esc() rather than quote(): g++ 12 reports a false -Wrestrict inside quote(), GCC bug 105651.)
    tx.exec0("ALTER TABLE " + qualified + " ALTER COLUMN " + tx.quote_name(column) + " SET DEFAULT nextval('" +
             tx.esc(seq_q) + "'::regclass)");
  }
}

constexpr const char* kStatsQuery =
    "SELECT attname::text, null_frac::float8, avg_width::float8 FROM pg_stats "
    "WHERE schemaname = $1 AND tablename = $2 AND NOT inherited ORDER BY attname";

// Runs `sql` (a statement built from catalog text and quoted names) after
// redirecting every table it names: `map` gives the replacement, already quoted.
template <typename Map>
void exec_redirected(pqxx::work& tx, const std::string& sql, const char* origin, Map&& map) {
  const migration::Migration parsed = migration::parse_migration(sql, origin);
  for (const migration::Statement& st : parsed.statements) tx.exec0(migration::redirect_relations(st, map));
}

}  // namespace

void limit_waits(pqxx::transaction_base& tx, const SamplingOptions& o) {
  tx.exec_params("SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)",
                 std::to_string(o.statement_timeout_ms), std::to_string(o.lock_timeout_ms));
}

void vacuum_analyze(Connection& conn, const std::string& qualified) {
  pqxx::nontransaction tx(conn.raw());
  tx.exec0("VACUUM (ANALYZE) " + qualified);
}

SourceStructure read_structure(Connection& source, const TableProfile& table, const SamplingOptions& options) {
  SourceStructure s;
  pqxx::read_transaction tx(source.raw());
  limit_waits(tx, options);
  const std::string src = quote_qualified(source.raw(), table.schema, table.name);
  s.columns = insertable_columns(tx, src);
  for (const pqxx::row& r : tx.exec_params(
           "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = $1::regclass AND NOT EXISTS "
           "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
           "AND c.contype IN ('p', 'u', 'x')) ORDER BY i.indexrelid",
           src)) {
    s.index_definitions.push_back(r[0].as<std::string>());
  }
  s.constraints = key_constraints(tx, src);

  // Foreign keys, with their column lists quoted.
  const char* kForeignKeys =
      "SELECT c.conname, pg_get_constraintdef(c.oid), rn.nspname, r.relname, c.confrelid = c.conrelid, "
      "  (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY "
      "     AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum), "
      "  (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY "
      "     AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) "
      "FROM pg_constraint c JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace "
      "WHERE c.conrelid = $1::regclass AND c.contype = 'f' ORDER BY c.oid";
  for (const pqxx::row& r : tx.exec_params(kForeignKeys, src)) {
    ForeignKey fk{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
                  r[5].as<std::string>(),  r[6].as<std::string>(), r[4].as<bool>()};
    if (!fk.self_reference) {
      bool known = false;
      for (const ReferencedTable& t : s.referenced) known = known || (t.schema == fk.ref_schema && t.name == fk.ref_table);
      bool clash = fk.ref_table == table.name || fk.ref_table == kSliceTable;
      for (const ReferencedTable& t : s.referenced) clash = clash || (t.name == fk.ref_table && t.schema != fk.ref_schema);
      if (clash) {
        s.notes.push_back(fmt::format("foreign key {} is not copied: its table {}.{} has the same name as another "
                                      "table of the copy",
                                      fk.name, fk.ref_schema, fk.ref_table));
        continue;
      }
      if (!known) {
        const std::string ref = quote_qualified(source.raw(), fk.ref_schema, fk.ref_table);
        s.referenced.push_back({fk.ref_schema, fk.ref_table, insertable_columns(tx, ref), key_constraints(tx, ref)});
      }
    }
    s.foreign_keys.push_back(fk);
  }
  if (!s.foreign_keys.empty()) {
    s.notes.push_back("foreign keys are copied NOT VALID, to copies of the referenced tables holding the rows each "
                      "slice references; tables that reference this one are not copied");
  }
  for (const pqxx::row& r : tx.exec_params(kStatsQuery, table.schema, table.name)) {
    s.stats.push_back({r[0].as<std::string>(), r[1].as<double>(), 0});
    s.avg_widths.push_back(r[2].as<double>());
  }
  if (s.stats.empty()) {
    s.notes.push_back("the source table has no statistics (never analyzed), so the slices' row width and null "
                      "fractions were not compared with it");
  }
  tx.commit();
  return s;
}

long long copy_slice(const std::string& dsn, const SourceStructure& structure, Connection& work,
                     const TableProfile& table, const std::string& scratch, long long target_rows,
                     const SamplingOptions& options) {
  const std::string src = quote_qualified(work.raw(), table.schema, table.name);
  const std::string slice = quote_qualified(work.raw(), scratch, kSliceTable);
  {
    pqxx::work tx(work.raw());
    limit_waits(tx, options);  // LIKE reads the source's catalog entry under AccessShareLock
    tx.exec0("DROP TABLE IF EXISTS " + slice + " CASCADE");
    // Columns, defaults, NOT NULL and CHECK constraints, identity, generated
    // columns, storage; the indexes come later, on each working copy.
    tx.exec0("CREATE TABLE " + slice + " (LIKE " + src + " INCLUDING ALL EXCLUDING INDEXES)");
    detach_sequences(tx, scratch, kSliceTable);
    for (const ReferencedTable& ref : structure.referenced) {
      const std::string copy = quote_qualified(work.raw(), scratch, ref.name);
      tx.exec0("DROP TABLE IF EXISTS " + copy + " CASCADE");
      tx.exec0("CREATE TABLE " + copy + " (LIKE " + quote_qualified(work.raw(), ref.schema, ref.name) +
               " INCLUDING ALL EXCLUDING INDEXES)");
    }
    tx.commit();
  }
  const bool whole = static_cast<double>(target_rows) >= table.rows;
  CopyRequest copy;
  copy.dsn = dsn;
  copy.select_sql = "SELECT " + join(structure.columns, ", ") + " FROM " + src;
  if (!whole) {
    const double percent = std::min(100.0, 100.0 * static_cast<double>(target_rows) / table.rows);
    copy.select_sql += fmt::format(" TABLESAMPLE SYSTEM ({:.6f}) REPEATABLE ({})", percent, options.seed);
  }
  copy.statement_timeout_ms = options.statement_timeout_ms;
  copy.lock_timeout_ms = options.lock_timeout_ms;
  copy.target_table = slice;
  copy.column_list = join(structure.columns, ", ");
  copy_rows(copy);

  // The referenced rows: those whose key some row of the slice holds.
  for (const ReferencedTable& ref : structure.referenced) {
    std::string where;
    for (const ForeignKey& fk : structure.foreign_keys) {
      if (fk.self_reference || fk.ref_schema != ref.schema || fk.ref_table != ref.name) continue;
      where += fmt::format("{}({}) IN (SELECT {} FROM {})", where.empty() ? "" : " OR ", fk.ref_columns, fk.columns,
                           slice);
    }
    CopyRequest rows = copy;
    rows.select_sql = "SELECT " + join(ref.columns, ", ") + " FROM " + quote_qualified(work.raw(), ref.schema, ref.name) +
                      " WHERE " + where;
    rows.target_table = quote_qualified(work.raw(), scratch, ref.name);
    rows.column_list = join(ref.columns, ", ");
    copy_rows(rows);
    pqxx::work tx(work.raw());
    for (const auto& [name, definition] : ref.constraints) {
      tx.exec0("ALTER TABLE " + rows.target_table + " ADD CONSTRAINT " + tx.quote_name(name) + " " + definition);
    }
    tx.commit();
  }

  pqxx::work tx(work.raw());
  // Scratch sequences continue after the copied values, as the source's do.
  for (const pqxx::row& r : tx.exec_params(
           "SELECT a.attname, pg_get_serial_sequence($1, a.attname) FROM pg_attribute a WHERE a.attrelid = "
           "$1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND pg_get_serial_sequence($1, a.attname) IS NOT NULL",
           slice)) {
    tx.exec_params("SELECT setval($1::regclass, coalesce(max(" + tx.quote_name(r[0].as<std::string>()) +
                       ")::bigint, 0) + 1, false) FROM " + slice,
                   r[1].as<std::string>());
  }
  const long long n = tx.exec1("SELECT count(*) FROM " + slice)[0].as<long long>();
  tx.commit();
  return n;
}

SliceStats compare_slice(Connection& work, const SourceStructure& structure, const std::string& scratch, long long rows) {
  SliceStats st;
  st.rows = rows;
  pqxx::read_transaction tx(work.raw());
  std::map<std::string, std::pair<double, double>> slice;  // name -> null_frac, avg_width
  for (const pqxx::row& r : tx.exec_params(kStatsQuery, scratch, kSliceTable)) {
    slice[r[0].as<std::string>()] = {r[1].as<double>(), r[2].as<double>()};
  }
  for (size_t i = 0; i < structure.stats.size(); ++i) {
    SliceStats::Column c = structure.stats[i];
    st.row_width_source += structure.avg_widths[i];
    if (auto it = slice.find(c.name); it != slice.end()) {
      c.null_frac_slice = it->second.first;
      st.row_width_slice += it->second.second;
    }
    st.representative = st.representative && std::abs(c.null_frac_slice - c.null_frac_source) <= 0.10;
    st.columns.push_back(c);
  }
  if (st.row_width_source > 0) {
    st.representative =
        st.representative && std::abs(st.row_width_slice - st.row_width_source) <= 0.10 * st.row_width_source;
  }
  return st;
}

std::string referenced_copy(const SourceStructure& structure, pqxx::connection& c, const std::string& scratch,
                            const migration::RelationRef& relation) {
  for (const ReferencedTable& ref : structure.referenced) {
    if (ref.name == relation.name && (relation.schema.empty() || relation.schema == ref.schema)) {
      return quote_qualified(c, scratch, ref.name);
    }
  }
  return "";
}

long long build_working_copy(Connection& work, const SourceStructure& structure, const std::string& scratch,
                             const std::string& table) {
  const std::string work_table = quote_qualified(work.raw(), scratch, table);
  const std::string slice = quote_qualified(work.raw(), scratch, kSliceTable);
  pqxx::work tx(work.raw());
  tx.exec0("DROP TABLE IF EXISTS " + work_table + " CASCADE");
  tx.exec0("CREATE TABLE " + work_table + " (LIKE " + slice + " INCLUDING ALL)");
  const std::string cols = join(insertable_columns(tx, slice), ", ");
  tx.exec0("INSERT INTO " + work_table + " (" + cols + ") OVERRIDING SYSTEM VALUE SELECT " + cols + " FROM " + slice);
  for (const auto& [name, definition] : structure.constraints) {
    tx.exec0("ALTER TABLE " + work_table + " ADD CONSTRAINT " + tx.quote_name(name) + " " + definition);
  }
  // Index definitions and foreign keys name tables: redirected by parse-tree position.
  for (const std::string& definition : structure.index_definitions) {
    exec_redirected(tx, definition, "pg_get_indexdef", [&](const migration::RelationRef&) { return work_table; });
  }
  for (const ForeignKey& fk : structure.foreign_keys) {
    std::string sql = "ALTER TABLE " + work_table + " ADD CONSTRAINT " + tx.quote_name(fk.name) + " " + fk.definition;
    if (fk.definition.find("NOT VALID") == std::string::npos) sql += " NOT VALID";
    exec_redirected(tx, sql, "pg_get_constraintdef", [&](const migration::RelationRef& r) {
      if (r.name == table && (r.schema.empty() || r.schema == scratch)) return work_table;
      const std::string copy = referenced_copy(structure, work.raw(), scratch, r);
      return copy.empty() ? work_table : copy;  // a self-reference names the table itself
    });
  }
  const long long oid = tx.exec_params1("SELECT $1::regclass::oid::bigint", work_table)[0].as<long long>();
  tx.commit();
  return oid;
}

}  // namespace migsim::sampler::detail
