#include "migration/migration.h"

#include <fmt/format.h>

namespace migsim::migration {

std::string_view effect_name(Effect effect) {
  switch (effect) {
    case Effect::catalog: return "catalog";
    case Effect::scan: return "scan";
    case Effect::rewrite: return "rewrite";
    case Effect::index_build: return "index_build";
    case Effect::dml: return "dml";
    case Effect::none: return "none";
    case Effect::unknown: return "unknown";
  }
  return "unknown";
}

int table_passes(const Statement& statement) {
  if (statement.batching) return 0;
  switch (statement.effect) {
    case Effect::scan:
    case Effect::rewrite:
    case Effect::dml:
      return 1;
    case Effect::index_build: {
      const std::string_view suffix = " CONCURRENTLY";
      const std::string_view kind = statement.kind;
      const bool concurrent = kind.size() > suffix.size() && kind.substr(kind.size() - suffix.size()) == suffix;
      return concurrent ? 2 : 1;
    }
    default:
      return 0;
  }
}

bool changes_only_the_catalog(const Migration& migration) {
  bool any = false;
  for (const Statement& st : migration.statements) {
    if (st.effect == Effect::catalog) {
      any = true;
    } else if (st.effect != Effect::none) {
      return false;
    }
  }
  return any;
}

std::vector<RelationRef> altered_tables(const Migration& migration) {
  std::vector<RelationRef> tables;
  for (const Statement& st : migration.statements) {
    // An index, sequence or view named by ALTER ... RENAME is not a table.
    if (st.kind.rfind("ALTER INDEX", 0) == 0 || st.kind.rfind("ALTER SEQUENCE", 0) == 0 ||
        st.kind.rfind("ALTER VIEW", 0) == 0) {
      continue;
    }
    for (const RelationLock& lock : st.locks) {
      // AccessShareLock is a read; every other mode is taken by something that
      // changes the table or its schema.
      if (lock.mode == sim::LockMode::AccessShare) continue;
      // Objects named without a position (DROP) are not tables to estimate.
      if (lock.relation.name_begin < 0) continue;
      bool seen = false;
      for (const RelationRef& t : tables) {
        seen = seen || (t.schema == lock.relation.schema && t.name == lock.relation.name);
      }
      if (!seen) tables.push_back(lock.relation);
    }
  }
  return tables;
}

std::string location(const Migration& m, const Statement& st) {
  return fmt::format("{}:{}:{}", st.file.empty() ? m.source_name : st.file, st.line, st.column);
}

Migration concatenate(const std::vector<Migration>& parts, const std::string& source_name) {
  Migration out;
  out.source_name = source_name;
  for (const Migration& part : parts) {
    if (!out.text.empty()) out.text += '\n';
    const int shift = static_cast<int>(out.text.size());
    out.text += part.text;
    for (Statement st : part.statements) {
      st.begin += shift;
      st.prefix_begin += shift;
      if (st.update.where_keyword >= 0) {
        st.update.where_keyword += shift;
        st.update.where_begin += shift;
      }
      for (RelationLock& l : st.locks) {
        if (l.relation.name_begin >= 0) {
          l.relation.name_begin += shift;
          l.relation.name_end += shift;
        }
      }
      if (st.file.empty()) st.file = part.source_name;
      out.statements.push_back(std::move(st));
    }
    for (const std::string& n : part.notes) out.notes.push_back(part.source_name + ": " + n);
    if (part.retry) out.retry = part.retry;
  }
  return out;
}

std::vector<int> transaction_blocks(const Migration& migration) {
  std::vector<int> blocks;
  int current = -1;
  int next = 0;
  for (const Statement& st : migration.statements) {
    if (st.is_transaction_control && (st.kind == "BEGIN" || st.kind == "START")) current = next++;
    blocks.push_back(current);
    if (st.is_transaction_control && (st.kind == "COMMIT" || st.kind == "ROLLBACK" || st.kind == "COMMIT_PREPARED" ||
                                      st.kind == "ROLLBACK_PREPARED" || st.kind == "PREPARE")) {
      current = -1;
    }
  }
  return blocks;
}

}  // namespace migsim::migration
