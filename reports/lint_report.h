#pragma once
// Rendering of `migsim lint` results: the static analysis of each file and
// its findings.

#include <string>
#include <vector>

#include "migration/lint.h"
#include "migration/migration.h"

namespace migsim::reports {

struct LintedFile {
  migration::Migration migration;
  std::vector<migration::Finding> findings;
};

// For people: each statement with its locks and effect, its findings with
// why and the safe alternative, and a summary line.
std::string render_lint_text(const std::vector<LintedFile>& files);

// {"schema_version", "statements": [{file, index, line, column, sql, kind,
// relations[{schema, name, lock_mode}], effect, depends_on, dml_rows,
// findings[{rule, severity, message, why, alternative}]}], "notes", "summary"}.
std::string render_lint_json(const std::vector<LintedFile>& files);

// The rules, one per line, for `migsim lint --list-rules`.
std::string render_lint_rules();

}  // namespace migsim::reports
