#include <algorithm>
#include <cctype>

#include "migration/analysis.h"
#include "migration/migration.h"

namespace migsim::migration {
namespace detail {
namespace {

bool ident_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool ident_char(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

// End of one identifier starting at i, or i if there is none.
int identifier_end(std::string_view text, int i) {
  const int n = static_cast<int>(text.size());
  if (i < n && text[i] == '"') {
    for (int j = i + 1; j < n; ++j) {
      if (text[j] == '"') {
        if (j + 1 < n && text[j + 1] == '"') {
          ++j;  // doubled quote inside a quoted identifier
        } else {
          return j + 1;
        }
      }
    }
    return i;
  }
  if (i < n && ident_start(static_cast<unsigned char>(text[i]))) {
    int j = i + 1;
    while (j < n && ident_char(static_cast<unsigned char>(text[j]))) ++j;
    return j;
  }
  return i;
}

}  // namespace

std::pair<int, int> name_span(std::string_view text, int offset) {
  const int n = static_cast<int>(text.size());
  int end = identifier_end(text, offset);
  if (end == offset) return {offset, offset};
  for (int part = 1; part < 3; ++part) {
    int j = end;
    while (j < n && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j >= n || text[j] != '.') break;
    ++j;
    while (j < n && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    const int next = identifier_end(text, j);
    if (next == j) break;
    end = next;
  }
  return {offset, end};
}

}  // namespace detail

std::string apply_edits(const Statement& statement, std::vector<NameEdit> edits) {
  std::string sql = statement.sql;
  // From the highest offset down, so earlier offsets stay valid.
  std::sort(edits.begin(), edits.end(), [](const NameEdit& a, const NameEdit& b) { return a.begin > b.begin; });
  for (const NameEdit& edit : edits) {
    const int b = edit.begin - statement.begin;
    const int e = edit.end - statement.begin;
    if (b < 0 || e <= b || e > static_cast<int>(sql.size())) {
      throw std::logic_error("relation reference outside its statement");
    }
    sql.replace(b, e - b, edit.replacement);
  }
  return sql;
}

}  // namespace migsim::migration
