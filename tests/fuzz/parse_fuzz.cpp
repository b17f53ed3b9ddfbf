// Any bytes in: parse, classify, lint and redirect must not crash, hang or
// trip a sanitizer; a ParseError is a fine answer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "migration/lint.h"
#include "migration/migration.h"

// libpg_query 15-4.0's pg_query_parse_plpgsql does not free the stderr copy
// its internal parse makes when a function body fails to compile ("BEGIN
// RETURN NEW" without its END): 1 byte a call, in the library, not here.
extern "C" const char* __lsan_default_suppressions() { return "leak:pg_query_raw_parse\n"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const migsim::migration::Migration m = migsim::migration::parse_migration(text, "fuzz.sql");
    migsim::migration::LintOptions options;
    options.table_rows = static_cast<double>(size) * 1000;
    (void)migsim::migration::lint(m, options);
    (void)migsim::migration::altered_tables(m);
    (void)migsim::migration::transaction_blocks(m);
    for (const auto& st : m.statements) {
      (void)migsim::migration::redirect_relations(st, [](const migsim::migration::RelationRef& r) {
        return r.name_begin >= 0 && r.name_end > r.name_begin ? std::string("\"s\".\"t\"") : std::string();
      });
    }
  } catch (const migsim::migration::ParseError&) {
  }
  return 0;
}
