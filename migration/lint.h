#pragma once
// Golden-rule lint: findings about a migration from its static analysis alone
// (no server). Each rule has a stable id, a severity, why it is dangerous and
// the safe alternative. A rule is switched off for one statement by a comment
// `-- migsim:ignore rule-id[, rule-id...]` (or `all`) before the statement or
// on its last line, and for a run by LintOptions::disabled.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "migration/migration.h"

namespace migsim::migration {

enum class Severity { info, warning, error };

std::string_view severity_name(Severity severity);
std::optional<Severity> parse_severity(std::string_view name);

struct Rule {
  std::string_view id;
  Severity severity;           // with no table size known
  bool scales_with_size;       // its cost grows with the table's rows
  std::string_view summary;
  std::string_view why;
  std::string_view alternative;
};

// Every rule, in a stable order.
const std::vector<Rule>& lint_rules();

// nullptr for an unknown id.
const Rule* find_rule(std::string_view id);

struct Finding {
  std::string rule;
  Severity severity = Severity::warning;
  size_t statement = 0;  // index into Migration::statements
  int line = 1;
  int column = 1;
  std::string message;   // specific to the statement
};

struct LintOptions {
  std::set<std::string> disabled;     // rule ids switched off for the run
  std::optional<double> table_rows;   // when known: below 100,000 rows size-scaled rules drop one
                                      // severity step, from 10,000,000 rows up they rise one
};

// Findings in statement order. Statements on tables the migration itself
// creates are exempt from the rules about locking or rewriting live tables.
std::vector<Finding> lint(const Migration& migration, const LintOptions& options = {});

}  // namespace migsim::migration
