// Parsing with libpg_query's JSON output; see ../shared/reference/
// postgres-locks-and-libs.md §6 for its conventions (omitted defaults,
// absolute byte locations, 1-based character cursor in errors).

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <cctype>
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

// psql meta-commands that change what runs: refused rather than skipped.
bool meta_command_changes_what_runs(std::string_view command) {
  for (std::string_view c : {"i", "ir", "include", "include_relative", "c", "connect", "if", "elif", "else",
                             "endif", "gexec", "copy", "g", "gx", "gset", "o", "out", "!", "cd"}) {
    if (command == c) return true;
  }
  return false;
}

// Blanks out (with spaces, so byte offsets stay) psql meta-command lines that
// start outside strings, quoted identifiers, dollar quotes and comments.
// Returns notes for the skipped ones; throws ParseError for refused ones.
std::vector<std::string> strip_meta_commands(std::string& text, const std::string& file) {
  std::vector<std::string> notes;
  const size_t n = text.size();
  size_t i = 0;
  bool line_start = true;
  while (i < n) {
    const char c = text[i];
    if (line_start) {
      size_t j = i;
      while (j < n && (text[j] == ' ' || text[j] == '\t')) ++j;
      if (j < n && text[j] == '\\') {
        size_t end = text.find('\n', j);
        if (end == std::string::npos) end = n;
        std::string line = text.substr(j, end - j);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        size_t cmd_end = 1;
        while (cmd_end < line.size() && !std::isspace(static_cast<unsigned char>(line[cmd_end]))) ++cmd_end;
        const std::string command = line.substr(1, cmd_end - 1);
        const TextPosition pos = position_of_byte(text, static_cast<int>(j));
        if (meta_command_changes_what_runs(command)) {
          throw ParseError(file, pos.line, pos.column,
                           fmt::format("psql meta-command {} changes what runs and is not supported; inline or "
                                       "remove it",
                                       line));
        }
        notes.push_back(fmt::format("{}:{}: psql meta-command {} skipped", file, pos.line, line));
        std::fill(text.begin() + static_cast<long>(j), text.begin() + static_cast<long>(end), ' ');
        i = end;
        continue;
      }
      line_start = false;
    }
    if (c == '\n') {
      line_start = true;
      ++i;
    } else if (c == '-' && i + 1 < n && text[i + 1] == '-') {
      while (i < n && text[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
      i = static_cast<size_t>(skip_space_and_comments(text, static_cast<int>(i)));
    } else if (c == '\'' || c == '"') {
      // A quoted string or identifier; a doubled quote stays inside.
      size_t j = i + 1;
      while (j < n && !(text[j] == c && (j + 1 >= n || text[j + 1] != c))) j += text[j] == c ? 2 : 1;
      i = j + 1;
    } else if (c == '$') {
      // A dollar quote $tag$ ... $tag$ (the tag may be empty).
      size_t j = i + 1;
      while (j < n && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      if (j < n && text[j] == '$' && !(j > i + 1 && std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
        const std::string tag = text.substr(i, j - i + 1);
        const size_t close = text.find(tag, j + 1);
        i = close == std::string::npos ? n : close + tag.size();
      } else {
        i = j;
      }
    } else {
      ++i;
    }
  }
  return notes;
}

// PostgreSQL's own rule (quote_ident): a name may go bare when it is lower
// case letters, digits and underscores, starts with neither a digit nor a
// dollar, and is no keyword other than an unreserved one ("order", "user",
// "left" and "int" are quoted; "action" is not).
bool is_bare_identifier(const std::string& name) {
  const bool plain = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                     std::all_of(name.begin(), name.end(), [](unsigned char c) {
                       return std::islower(c) || std::isdigit(c) || c == '_';
                     });
  if (!plain) return false;
  PgQueryScanResult scan = pg_query_scan(name.c_str());
  bool bare = false;
  if (scan.error == nullptr) {
    PgQuery__ScanResult* tokens = pg_query__scan_result__unpack(
        nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
    if (tokens != nullptr) {
      bare = tokens->n_tokens == 1 &&
             (tokens->tokens[0]->keyword_kind == PG_QUERY__KEYWORD_KIND__NO_KEYWORD ||
              tokens->tokens[0]->keyword_kind == PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD);
      pg_query__scan_result__free_unpacked(tokens, nullptr);
    }
  }
  pg_query_free_scan_result(scan);
  return bare;
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
  if (const int bad = first_invalid_utf8(migration.text); bad >= 0) {
    const TextPosition pos = position_of_byte(migration.text, bad);
    throw ParseError(migration.source_name, pos.line, pos.column,
                     fmt::format("invalid UTF-8 (byte 0x{:02X}); migration files must be UTF-8",
                                 static_cast<unsigned char>(migration.text[bad])));
  }
  std::string stripped = migration.text;
  migration.notes = strip_meta_commands(stripped, migration.source_name);
  const std::string& src = stripped;

  std::unique_ptr<PgQueryParseResult, ParseResultDeleter> result(
      new PgQueryParseResult(pg_query_parse(src.c_str())));
  if (result->error != nullptr) {
    const TextPosition pos = position_of_char(src, result->error->cursorpos > 0 ? result->error->cursorpos : 1);
    throw ParseError(migration.source_name, pos.line, pos.column, result->error->message);
  }

  json tree;
  try {
    tree = json::parse(result->parse_tree);
  } catch (const json::exception& e) {
    throw ParseError(migration.source_name, 1, 1, fmt::format("cannot read the parse tree: {}", e.what()));
  }
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
  detail::read_batching(migration);
  return migration;
}

std::string quote_identifier(const std::string& name) {
  if (is_bare_identifier(name)) return name;
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string read_migration_text(const std::string& path) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the migration file: {}", path, std::strerror(errno)));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Migration load_migration(const std::string& path) {
  return parse_migration(read_migration_text(path), path == "-" ? "<stdin>" : path);
}

}  // namespace migsim::migration
