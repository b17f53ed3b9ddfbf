// Any bytes in: parse, classify, lint and redirect must not crash, hang or
// trip a sanitizer; a ParseError is a fine answer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "migration/lint.h"
#include "migration/migration.h"

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
