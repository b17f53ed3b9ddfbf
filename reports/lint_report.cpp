#include "reports/lint_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "reports/estimate_report.h"

namespace migsim::reports {
namespace {

using nlohmann::ordered_json;

struct Counts {
  int statements = 0;
  int info = 0;
  int warning = 0;
  int error = 0;
};

Counts count(const std::vector<LintedFile>& files) {
  Counts c;
  for (const LintedFile& f : files) {
    c.statements += static_cast<int>(f.migration.statements.size());
    for (const auto& finding : f.findings) {
      if (finding.severity == migration::Severity::info) ++c.info;
      if (finding.severity == migration::Severity::warning) ++c.warning;
      if (finding.severity == migration::Severity::error) ++c.error;
    }
  }
  return c;
}

std::string relation_name(const migration::RelationRef& r) {
  return r.schema.empty() ? r.name : r.schema + "." + r.name;
}

}  // namespace

std::string render_lint_text(const std::vector<LintedFile>& files) {
  std::string out;
  for (const LintedFile& f : files) {
    const migration::Migration& m = f.migration;
    for (size_t i = 0; i < m.statements.size(); ++i) {
      const migration::Statement& st = m.statements[i];
      std::string locks;
      for (const auto& l : st.locks) {
        locks += fmt::format("{}{} {}", locks.empty() ? "" : ", ", relation_name(l.relation), sim::lock_mode_name(l.mode));
      }
      out += fmt::format("{}:{}:{}: {} [{}]{}{}\n", m.source_name, st.line, st.column, st.kind,
                         migration::effect_name(st.effect), locks.empty() ? "" : " ", locks);
      if (!st.depends_on.empty()) out += fmt::format("    depends on {}\n", st.depends_on);
      for (const migration::Finding& finding : f.findings) {
        if (finding.statement != i) continue;
        const migration::Rule* rule = migration::find_rule(finding.rule);
        out += fmt::format("  {} {}: {}\n", migration::severity_name(finding.severity), finding.rule, finding.message);
        if (rule != nullptr) {
          out += fmt::format("    why: {}\n    instead: {}\n", rule->why, rule->alternative);
        }
      }
    }
    for (const std::string& note : m.notes) out += fmt::format("note: {}\n", note);
  }
  const Counts c = count(files);
  out += fmt::format("\n{} file{}, {} statement{}: {} error{}, {} warning{}, {} info\n", files.size(),
                     files.size() == 1 ? "" : "s", c.statements, c.statements == 1 ? "" : "s", c.error,
                     c.error == 1 ? "" : "s", c.warning, c.warning == 1 ? "" : "s", c.info);
  return out;
}

std::string render_lint_json(const std::vector<LintedFile>& files) {
  ordered_json statements = ordered_json::array();
  ordered_json notes = ordered_json::array();
  for (const LintedFile& f : files) {
    const migration::Migration& m = f.migration;
    for (size_t i = 0; i < m.statements.size(); ++i) {
      const migration::Statement& st = m.statements[i];
      ordered_json relations = ordered_json::array();
      for (const auto& l : st.locks) {
        relations.push_back({{"schema", l.relation.schema.empty() ? ordered_json(nullptr) : ordered_json(l.relation.schema)},
                             {"name", l.relation.name},
                             {"lock_mode", sim::lock_mode_name(l.mode)}});
      }
      ordered_json findings = ordered_json::array();
      for (const migration::Finding& finding : f.findings) {
        if (finding.statement != i) continue;
        const migration::Rule* rule = migration::find_rule(finding.rule);
        findings.push_back({{"rule", finding.rule},
                            {"severity", migration::severity_name(finding.severity)},
                            {"message", finding.message},
                            {"why", rule ? rule->why : ""},
                            {"alternative", rule ? rule->alternative : ""}});
      }
      statements.push_back({{"file", m.source_name},
                            {"index", i},
                            {"line", st.line},
                            {"column", st.column},
                            {"sql", st.sql},
                            {"kind", st.kind},
                            {"relations", relations},
                            {"effect", migration::effect_name(st.effect)},
                            {"depends_on", st.depends_on.empty() ? ordered_json(nullptr) : ordered_json(st.depends_on)},
                            {"dml_rows", st.dml_rows.empty() ? ordered_json(nullptr) : ordered_json(st.dml_rows)},
                            {"findings", findings}});
    }
    for (const std::string& note : m.notes) notes.push_back(note);
  }
  const Counts c = count(files);
  ordered_json j;
  j["schema_version"] = kSchemaVersion;
  j["statements"] = statements;
  j["notes"] = notes;
  j["summary"] = {{"files", files.size()},
                  {"statements", c.statements},
                  {"errors", c.error},
                  {"warnings", c.warning},
                  {"infos", c.info}};
  return j.dump(2) + "\n";
}

std::string render_lint_rules() {
  std::string out;
  for (const migration::Rule& r : migration::lint_rules()) {
    out += fmt::format("{:<40} {:<8} {}{}\n", r.id, migration::severity_name(r.severity), r.summary,
                       r.scales_with_size ? " (severity scales with table size)" : "");
  }
  return out;
}

}  // namespace migsim::reports
