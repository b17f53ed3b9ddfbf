#include <fmt/format.h>
#include <gtest/gtest.h>

#include "migration/migration.h"
#include "migration/plan.h"
#include "migration/source_text.h"

namespace migsim::migration {
namespace {

using sim::LockMode;

Statement only(const Migration& m) {
  EXPECT_EQ(m.statements.size(), 1u);
  return m.statements.at(0);
}

TEST(Parse, StatementsCarryTheirLineAndColumn) {
  const Migration m = parse_migration(
      "-- widen\n"
      "/* a block\n   comment */ ALTER TABLE orders ADD COLUMN x int;\n"
      "\n"
      "  CREATE INDEX CONCURRENTLY i ON orders (x);\n",
      "m.sql");
  ASSERT_EQ(m.statements.size(), 2u);
  EXPECT_EQ(m.statements[0].line, 3);
  EXPECT_EQ(m.statements[0].column, 15);
  EXPECT_EQ(m.statements[0].sql, "ALTER TABLE orders ADD COLUMN x int");
  EXPECT_EQ(m.statements[1].line, 5);
  EXPECT_EQ(m.statements[1].column, 3);
  EXPECT_EQ(m.statements[1].sql, "CREATE INDEX CONCURRENTLY i ON orders (x)");
}

TEST(Parse, SyntaxErrorNamesFileLineAndColumn) {
  try {
    parse_migration("ALTER TABLE t ADD COLUMN a int;\n-- é\nALTER TABLE t ADD COLUMN b int DEFALT 0;\n", "bad.sql");
    FAIL() << "expected a ParseError";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), "bad.sql");
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.column(), 32);  // the cursor is on "DEFALT"
    EXPECT_NE(std::string(e.what()).find("bad.sql:3:32: syntax error"), std::string::npos) << e.what();
  }
}

TEST(Parse, DollarQuotedBodiesAndTransactionBlocks) {
  const Migration m = parse_migration(
      "BEGIN;\n"
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
      "ALTER TABLE t ALTER COLUMN a TYPE bigint;\n"
      "COMMIT;\n"
      "UPDATE t SET a = 0;\n",
      "m.sql");
  ASSERT_EQ(m.statements.size(), 5u);
  EXPECT_TRUE(m.statements[0].is_transaction_control);
  EXPECT_EQ(m.statements[0].kind, "BEGIN");
  EXPECT_EQ(m.statements[1].node, "CreateFunctionStmt");
  EXPECT_EQ(transaction_blocks(m), (std::vector<int>{0, 0, 0, 0, -1}));
}

TEST(Parse, InvalidUtf8IsAParseErrorAtItsPosition) {
  try {
    parse_migration("ALTER TABLE a RENAME TO b;\nALTER TABLE audit_log RENAME TO audit_e\xeetries;\n", "m.sql");
    FAIL() << "expected a ParseError";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 40);
    EXPECT_NE(e.message().find("invalid UTF-8 (byte 0xEE)"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(parse_migration("COMMENT ON TABLE t IS 'héllo €';", "m.sql"));
}

TEST(Parse, UnreadableFileIsAnInputError) {
  EXPECT_THROW(load_migration("/nonexistent/migration.sql"), InputError);
}

TEST(Classify, AlterColumnTypeToBigintRewritesUnderAccessExclusive) {
  const Statement s = only(parse_migration("ALTER TABLE app.orders ALTER COLUMN qty TYPE bigint", "m.sql"));
  EXPECT_EQ(s.kind, "ALTER TABLE ALTER COLUMN TYPE");
  EXPECT_EQ(s.effect, Effect::rewrite);
  ASSERT_EQ(s.locks.size(), 1u);
  EXPECT_EQ(s.locks[0].relation.schema, "app");
  EXPECT_EQ(s.locks[0].relation.name, "orders");
  EXPECT_EQ(s.locks[0].mode, LockMode::AccessExclusive);
}

TEST(Classify, AddColumnDefaultsAndVolatility) {
  EXPECT_EQ(only(parse_migration("ALTER TABLE t ADD COLUMN c int", "m")).effect, Effect::catalog);
  EXPECT_EQ(only(parse_migration("ALTER TABLE t ADD COLUMN c int DEFAULT 0", "m")).effect, Effect::catalog);
  EXPECT_EQ(only(parse_migration("ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now()", "m")).effect,
            Effect::catalog);  // now() is stable: evaluated once
  const Statement custom = only(parse_migration("ALTER TABLE t ADD COLUMN c int DEFAULT my_func()", "m"));
  EXPECT_EQ(custom.effect, Effect::unknown);  // only the catalog knows my_func's volatility: it says so
  EXPECT_NE(custom.depends_on.find("my_func"), std::string::npos);
  EXPECT_EQ(only(parse_migration("ALTER TABLE t ADD COLUMN c float8 DEFAULT random()", "m")).effect, Effect::rewrite);
  EXPECT_EQ(only(parse_migration("ALTER TABLE t ADD COLUMN c bigserial", "m")).effect, Effect::rewrite);
  EXPECT_EQ(only(parse_migration("ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY", "m")).effect,
            Effect::rewrite);
  EXPECT_EQ(only(parse_migration("ALTER TABLE t ADD COLUMN c int NOT NULL", "m")).effect, Effect::scan);
}

TEST(Classify, ConstraintsAndTheirValidation) {
  const Statement fk = only(parse_migration(
      "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID", "m"));
  EXPECT_EQ(fk.effect, Effect::catalog);
  ASSERT_EQ(fk.locks.size(), 2u);
  EXPECT_EQ(fk.locks[0].mode, LockMode::ShareRowExclusive);
  EXPECT_EQ(fk.locks[1].relation.name, "customers");
  EXPECT_EQ(fk.locks[1].mode, LockMode::ShareRowExclusive);

  const Statement check = only(parse_migration("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", "m"));
  EXPECT_EQ(check.effect, Effect::scan);
  EXPECT_EQ(check.locks[0].mode, LockMode::AccessExclusive);

  const Statement validate = only(parse_migration("ALTER TABLE t VALIDATE CONSTRAINT c", "m"));
  EXPECT_EQ(validate.effect, Effect::scan);
  EXPECT_EQ(validate.locks[0].mode, LockMode::ShareUpdateExclusive);

  const Statement not_null = only(parse_migration("ALTER TABLE t ALTER COLUMN a SET NOT NULL", "m"));
  EXPECT_EQ(not_null.effect, Effect::scan);
  EXPECT_FALSE(not_null.depends_on.empty());
}

TEST(Classify, IndexesVacuumAndDml) {
  const Statement cic = only(parse_migration("CREATE INDEX CONCURRENTLY i ON t (a)", "m"));
  EXPECT_EQ(cic.locks[0].mode, LockMode::ShareUpdateExclusive);
  EXPECT_FALSE(cic.in_transaction_block_allowed);
  EXPECT_EQ(cic.effect, Effect::index_build);
  EXPECT_EQ(only(parse_migration("CREATE INDEX i ON t (a)", "m")).locks[0].mode, LockMode::Share);
  EXPECT_EQ(only(parse_migration("VACUUM FULL t", "m")).effect, Effect::rewrite);

  const Statement update = only(parse_migration("UPDATE t SET a = b FROM u WHERE t.id = u.id", "m"));
  EXPECT_EQ(update.effect, Effect::dml);
  EXPECT_EQ(update.kind, "UPDATE");
  EXPECT_EQ(update.dml_rows, "where");
  EXPECT_EQ(only(parse_migration("DELETE FROM t", "m")).dml_rows, "all");
  ASSERT_EQ(update.locks.size(), 2u);
  EXPECT_EQ(update.locks[0].mode, LockMode::RowExclusive);
  EXPECT_EQ(update.locks[1].mode, LockMode::AccessShare);  // only read
  EXPECT_EQ(altered_tables(parse_migration("UPDATE t SET a = b FROM u WHERE t.id = u.id", "m")).size(), 1u);
}

TEST(Classify, PassesOverTheTableAndCatalogOnlyMigrations) {
  const auto passes = [](const std::string& sql) { return table_passes(only(parse_migration(sql, "m"))); };
  EXPECT_EQ(passes("ALTER TABLE t ADD COLUMN a int"), 0);
  EXPECT_EQ(passes("ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)"), 1);
  EXPECT_EQ(passes("ALTER TABLE t ALTER COLUMN a TYPE bigint"), 1);
  EXPECT_EQ(passes("CREATE INDEX i ON t (a)"), 1);
  EXPECT_EQ(passes("CREATE INDEX CONCURRENTLY i ON t (a)"), 2);  // the build, then the validation
  EXPECT_EQ(passes("CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)"), 2);
  EXPECT_EQ(passes("UPDATE t SET a = 1"), 1);
  EXPECT_EQ(passes("-- migsim:backfill batch_size=1000 pause=0\nUPDATE t SET a = 1"), 0);  // batches find their rows
  EXPECT_EQ(passes("SET lock_timeout = '2s'"), 0);

  EXPECT_TRUE(changes_only_the_catalog(parse_migration(
      "SET lock_timeout = '2s';\nBEGIN;\nALTER TABLE t ADD COLUMN a int DEFAULT 0;\nALTER TABLE t RENAME b TO c;\nCOMMIT;",
      "m")));
  EXPECT_FALSE(changes_only_the_catalog(parse_migration("SET lock_timeout = '2s';", "m")));  // changes nothing
  EXPECT_FALSE(changes_only_the_catalog(parse_migration("ALTER TABLE t ADD COLUMN a int;\nCREATE INDEX i ON t (a);", "m")));
  // A default whose volatility migsim does not know may rewrite: not catalog-only.
  EXPECT_FALSE(changes_only_the_catalog(parse_migration("ALTER TABLE t ADD COLUMN a int DEFAULT f();", "m")));
}

TEST(Redirect, RewritesTableNamesByPositionOnly) {
  const Migration m = parse_migration(
      "SELECT 1;\n"
      "UPDATE public.\"Orders\" AS o SET note = 'public.\"Orders\"' WHERE o.id IN (1, 2)",
      "m");
  const Statement& s = m.statements[1];
  const std::string out = redirect_relations(s, [](const RelationRef& r) {
    EXPECT_EQ(r.schema, "public");
    EXPECT_EQ(r.name, "Orders");
    return std::string("\"scratch\".\"Orders\"");
  });
  EXPECT_EQ(out, "UPDATE \"scratch\".\"Orders\" AS o SET note = 'public.\"Orders\"' WHERE o.id IN (1, 2)");
}

TEST(Redirect, OnlyAndQuotedQualifiedForms) {
  const Migration m = parse_migration("ALTER TABLE ONLY public . \"Orders\" ADD COLUMN x int", "m");
  const std::string out = redirect_relations(m.statements[0], [](const RelationRef&) { return std::string("s.t"); });
  EXPECT_EQ(out, "ALTER TABLE ONLY s.t ADD COLUMN x int");
}

TEST(SourceText, PositionsCountCharactersNotBytes) {
  const std::string text = "é\nab€c";
  EXPECT_EQ(position_of_byte(text, 0).column, 1);
  const TextPosition p = position_of_byte(text, static_cast<int>(text.find('c')));
  EXPECT_EQ(p.line, 2);
  EXPECT_EQ(p.column, 4);
  const TextPosition q = position_of_char(text, 6);  // é, \n, a, b, €, c
  EXPECT_EQ(q.line, 2);
  EXPECT_EQ(q.column, 4);
}

}  // namespace
}  // namespace migsim::migration

namespace migsim::migration {
namespace {

TEST(Parse, PsqlMetaCommandsAreSkippedWithANoteOrRefused) {
  const Migration m = parse_migration(
      "\\set ON_ERROR_STOP on\n"
      "ALTER TABLE t ADD COLUMN a int;\n"
      "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$\n"
      "\\not a meta-command inside a dollar quote\n"
      "$body$;\n"
      "  \\timing\n"
      "SELECT '\n"
      "\\also not one';\n",
      "m.sql");
  ASSERT_EQ(m.statements.size(), 3u);
  EXPECT_EQ(m.statements[0].line, 2);
  EXPECT_NE(m.statements[1].sql.find("\\not a meta-command"), std::string::npos);
  EXPECT_NE(m.statements[2].sql.find("\\also not one"), std::string::npos);
  ASSERT_EQ(m.notes.size(), 2u);
  EXPECT_EQ(m.notes[0], "m.sql:1: psql meta-command \\set ON_ERROR_STOP on skipped");
  EXPECT_EQ(m.notes[1], "m.sql:6: psql meta-command \\timing skipped");

  try {
    parse_migration("ALTER TABLE t ADD COLUMN a int;\n\\i other.sql\n", "m.sql");
    FAIL() << "\\i must be refused";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 1);
    EXPECT_NE(e.message().find("\\i other.sql"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace migsim::migration

namespace migsim::migration {
namespace {

TEST(Batching, TheDirectiveDeclaresABatchedUpdate) {
  const Migration m = parse_migration(
      "ALTER TABLE orders ADD COLUMN ref bigint;\n"
      "-- fill it\n"
      "-- migsim:backfill batch_size=5000 pause=100ms key=order_id skip_locked=no\n"
      "UPDATE orders o SET ref = o.customer_id WHERE (o.ref IS NULL);\n",
      "b.sql");
  ASSERT_EQ(m.statements.size(), 2u);
  EXPECT_FALSE(m.statements[0].batching);
  const auto& b = m.statements[1].batching;
  ASSERT_TRUE(b);
  EXPECT_EQ(b->batch_rows, 5000);
  EXPECT_DOUBLE_EQ(b->pause_s, 0.1);
  EXPECT_EQ(b->key, "order_id");
  EXPECT_FALSE(b->skip_locked);
  EXPECT_EQ(b->line, 3);
  EXPECT_EQ(batch_update_sql(m, m.statements[1], "order_id", "5000"),
            "UPDATE orders o SET ref = o.customer_id WHERE order_id IN (SELECT order_id FROM orders AS o WHERE "
            "order_id > $1 AND ((o.ref IS NULL)) ORDER BY order_id LIMIT 5000 FOR UPDATE) AND ((o.ref IS NULL)) "
            "RETURNING order_id");
}

TEST(Batching, WithoutWhereTheFirstBatchStartsAtTheKey) {
  const Migration m = parse_migration("-- migsim:backfill batch_size=10\nUPDATE \"Orders\" SET n = 1", "b.sql");
  EXPECT_EQ(batch_update_sql(m, m.statements[0], "Id", "$2", true),
            "UPDATE \"Orders\" SET n = 1 WHERE \"Id\" IN (SELECT \"Id\" FROM \"Orders\" WHERE \"Id\" >= $1 ORDER BY "
            "\"Id\" LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING \"Id\"");
}

TEST(Batching, BadDirectivesAreParseErrorsAtTheirLine) {
  auto error_of = [](const std::string& sql) {
    try {
      parse_migration(sql, "b.sql");
    } catch (const ParseError& e) {
      return fmt::format("{}:{}: {}", e.line(), e.column(), e.message());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("SELECT 1;\n  -- migsim:backfill batch_size=0\nUPDATE t SET a = 1;"),
            "2:3: migsim:backfill: batch_size must be a whole number of rows of at least 1, not '0'");
  EXPECT_EQ(error_of("-- migsim:backfill pause=fast batch_size=1\nUPDATE t SET a = 1;"),
            "1:1: migsim:backfill: pause must be a duration (e.g. 100ms, 1s), not 'fast'");
  EXPECT_EQ(error_of("-- migsim:backfill pause=1s\nUPDATE t SET a = 1;"), "1:1: migsim:backfill: a batched backfill needs batch_size=N");
  EXPECT_EQ(error_of("-- migsim:backfill batch_size=5 speed=2\nUPDATE t SET a = 1;"),
            "1:1: migsim:backfill: unknown setting 'speed' (known: batch_size, pause, key, skip_locked)");
  EXPECT_EQ(error_of("-- migsim:backfill batch_size=5\nDELETE FROM t;"),
            "1:1: migsim:backfill: a batched backfill must be an UPDATE; the next statement is DELETE");
  const Migration from = parse_migration("-- migsim:backfill batch_size=5\nUPDATE t SET a = u.a FROM u WHERE u.id = t.id;", "f.sql");
  EXPECT_THROW(batch_update_sql(from, from.statements[0], "id", "5"), ParseError);
}

}  // namespace
}  // namespace migsim::migration

namespace migsim::migration {
namespace {

// PostgreSQL's quote_ident rule: only lower-case names that are no keyword,
// or an unreserved one, go bare.
TEST(Plan, NamesAreQuotedAsPostgresQuotesThem) {
  for (const char* bare : {"customer_id", "_tmp", "status", "action", "name", "x1"}) {
    EXPECT_EQ(migration::quote_identifier(bare), bare);
  }
  EXPECT_EQ(migration::quote_identifier("order"), "\"order\"");     // reserved
  EXPECT_EQ(migration::quote_identifier("user"), "\"user\"");       // reserved
  EXPECT_EQ(migration::quote_identifier("left"), "\"left\"");       // type or function name
  EXPECT_EQ(migration::quote_identifier("int"), "\"int\"");         // column name keyword
  EXPECT_EQ(migration::quote_identifier("Total"), "\"Total\"");
  EXPECT_EQ(migration::quote_identifier("1st"), "\"1st\"");
  EXPECT_EQ(migration::quote_identifier("a b"), "\"a b\"");
  EXPECT_EQ(migration::quote_identifier("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(migration::quote_identifier(""), "\"\"");
}

TEST(Plan, EachUnsafeStatementGetsItsSafeFormAndTheRestStaysAsWritten) {
  const Migration m = parse_migration(
      "CREATE INDEX orders_status_idx ON orders (status);\n"
      "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);\n"
      "ALTER TABLE orders RENAME COLUMN note TO comment;\n"
      "ALTER TABLE orders ADD COLUMN gift boolean;\n",
      "m.sql");
  const Plan plan = make_plan(m, PlanOptions{}, {});  // no catalog: the rename cannot be planned
  EXPECT_EQ(plan.rewritten, 2);
  ASSERT_EQ(plan.kept.size(), 1u);
  EXPECT_NE(plan.kept[0].find("m.sql:3:1 ALTER TABLE RENAME COLUMN: a rename is planned from the column's type"),
            std::string::npos)
      << plan.kept[0];
  std::vector<std::string> files;
  for (const PlanPhase& p : plan.phases) files.push_back(p.file);
  EXPECT_EQ(files, (std::vector<std::string>{"1-expand.sql", "2-constrain.sql", "3-validate.sql"}));
  EXPECT_NE(plan.phases[0].sql.find("SET lock_timeout = '2s';\nBEGIN;\nALTER TABLE orders RENAME COLUMN note TO comment;\n"
                                    "ALTER TABLE orders ADD COLUMN gift boolean;\nCOMMIT;\n"),
            std::string::npos)
      << plan.phases[0].sql;
  EXPECT_NE(plan.phases[1].sql.find("-- migsim:same-deploy"), std::string::npos);
  EXPECT_NE(plan.phases[1].sql.find("ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) "
                                    "REFERENCES customers (id) NOT VALID;"),
            std::string::npos)
      << plan.phases[1].sql;
  EXPECT_NE(plan.phases[2].sql.find("CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_idx ON orders (status);\n"
                                    "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;"),
            std::string::npos)
      << plan.phases[2].sql;
  EXPECT_EQ(plan.phases[2].sql.find("BEGIN"), std::string::npos);  // CONCURRENTLY runs outside a transaction
  EXPECT_NE(retry_script().find("55P03"), std::string::npos);
}

}  // namespace
}  // namespace migsim::migration

namespace migsim::migration {
namespace {

TEST(Retry, TheLockTimeoutAndRetryPolicyAreReadFromTheFile) {
  const Migration m = parse_migration(
      "-- migsim:retry attempts=10 backoff=500ms\nSET lock_timeout = '200ms';\nALTER TABLE t ADD COLUMN x int;", "r.sql");
  ASSERT_TRUE(m.retry);
  EXPECT_EQ(m.retry->attempts, 10);
  EXPECT_DOUBLE_EQ(m.retry->backoff_s, 0.5);
  EXPECT_DOUBLE_EQ(*lock_timeout_seconds(m), 0.2);
  EXPECT_DOUBLE_EQ(*lock_timeout_seconds(parse_migration("SET lock_timeout TO 1500;", "a.sql")), 1.5);  // bare: ms
  EXPECT_DOUBLE_EQ(*lock_timeout_seconds(parse_migration("SET LOCAL lock_timeout = '2s';", "a.sql")), 2.0);
  EXPECT_FALSE(lock_timeout_seconds(parse_migration("SET lock_timeout = 0;", "a.sql")));
  EXPECT_FALSE(lock_timeout_seconds(parse_migration("ALTER TABLE t ADD COLUMN x int;", "a.sql")));
  EXPECT_THROW(parse_migration("-- migsim:retry attempts=0\nSELECT 1;", "b.sql"), ParseError);
  EXPECT_THROW(parse_migration("-- migsim:retry tries=3\nSELECT 1;", "b.sql"), ParseError);
}

}  // namespace
}  // namespace migsim::migration
