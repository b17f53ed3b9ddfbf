// Parsing with libpg_query's JSON output; see ../shared/reference/
// postgres-locks-and-libs.md §6 for its conventions (omitted defaults,
// absolute byte locations, 1-based character cursor in errors).

#include <pg_query.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "migration/analysis.h"
#include "migration/migration.h"
#include "migration/source_text.h"

namespace migsim::migration {
namespace {

using nlohmann::json;

// Every object with a "relname" key is a RangeVar (reference §6).
void collect_relations(const json& node, std::string_view text, std::vector<RelationLock>& out) {
  if (node.is_object()) {
    if (auto it = node.find("relname"); it != node.end() && it->is_string()) {
      RelationLock lock;
      lock.relation.schema = node.value("schemaname", "");
      lock.relation.name = it->get<std::string>();
      const int location = node.value("location", -1);
      if (location >= 0) {
        auto [b, e] = detail::name_span(text, location);
        lock.relation.name_begin = b;
        lock.relation.name_end = e;
      }
      out.push_back(std::move(lock));
    }
    for (const auto& [key, value] : node.items()) collect_relations(value, text, out);
  } else if (node.is_array()) {
    for (const auto& value : node) collect_relations(value, text, out);
  }
}

struct ParseResultDeleter {
  void operator()(PgQueryParseResult* r) const {
    pg_query_free_parse_result(*r);
    delete r;
  }
};

}  // namespace

ParseError::ParseError(std::string file, int line, int column, std::string message)
    : std::runtime_error(fmt::format("{}:{}:{}: {}", file, line, column, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(std::move(message)) {}

Migration parse_migration(std::string text, std::string source_name) {
  Migration migration;
  migration.source_name = std::move(source_name);
  migration.text = std::move(text);
  const std::string& src = migration.text;

  std::unique_ptr<PgQueryParseResult, ParseResultDeleter> result(
      new PgQueryParseResult(pg_query_parse(src.c_str())));
  if (result->error != nullptr) {
    const TextPosition pos = position_of_char(src, result->error->cursorpos > 0 ? result->error->cursorpos : 1);
    throw ParseError(migration.source_name, pos.line, pos.column, result->error->message);
  }

  const json tree = json::parse(result->parse_tree);
  for (const json& raw : tree.value("stmts", json::array())) {
    Statement st;
    const int location = raw.value("stmt_location", 0);
    const int length = raw.value("stmt_len", 0);
    const int start = skip_space_and_comments(src, location);
    const int end = length == 0 ? static_cast<int>(src.size()) : location + length;
    st.begin = start;
    st.prefix_begin = location;
    st.sql = src.substr(start, end > start ? end - start : 0);
    while (!st.sql.empty() && std::isspace(static_cast<unsigned char>(st.sql.back()))) st.sql.pop_back();
    const TextPosition pos = position_of_byte(src, start);
    st.line = pos.line;
    st.column = pos.column;

    const json& node = raw.at("stmt");
    st.node = node.begin().key();
    collect_relations(node, src, st.locks);
    // The JSON objects' keys come sorted, not in source order.
    std::stable_sort(st.locks.begin(), st.locks.end(), [](const RelationLock& a, const RelationLock& b) {
      return a.relation.name_begin < b.relation.name_begin;
    });
    detail::classify(node, st);
    migration.statements.push_back(std::move(st));
  }
  return migration;
}

Migration load_migration(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return parse_migration(std::move(text), "<stdin>");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the migration file: {}", path, std::strerror(errno)));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse_migration(buffer.str(), path);
}

}  // namespace migsim::migration
