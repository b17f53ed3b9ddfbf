// Batched backfills: the `-- migsim:backfill` directive that declares one, and the
// keyset-paginated SQL of one batch.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "migration/analysis.h"
#include "migration/migration.h"
#include "migration/source_text.h"

namespace migsim::migration {

std::optional<double> parse_duration(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::string unit = text.substr(used);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  double scale = 0;
  if (unit.empty() || unit == "s" || unit == "sec" || unit == "secs" || unit == "seconds") scale = 1;
  else if (unit == "ms") scale = 1e-3;
  else if (unit == "m" || unit == "min" || unit == "mins" || unit == "minutes") scale = 60;
  else if (unit == "h" || unit == "hour" || unit == "hours") scale = 3600;
  if (scale == 0 || value < 0 || !std::isfinite(value)) return std::nullopt;
  return value * scale;
}

std::optional<double> lock_timeout_seconds(const Migration& m) {
  for (const Statement& st : m.statements) {
    if (!st.is_session_setting || st.setting_name != "lock_timeout") continue;
    // SET [SESSION|LOCAL] lock_timeout {=|TO} value
    std::string sql = st.sql;
    const size_t eq = sql.find_first_of("=");
    size_t at = eq;
    if (at == std::string::npos) {
      std::string l = sql;
      std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      at = l.find(" to ");
      if (at != std::string::npos) at += 3;
    }
    if (at == std::string::npos) return std::nullopt;
    std::string value = sql.substr(at + 1);
    value.erase(std::remove_if(value.begin(), value.end(), [](char c) { return c == '\'' || c == ' ' || c == '\t'; }),
                value.end());
    if (value.empty()) return std::nullopt;
    const bool bare = std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c) || c == '.'; });
    const auto seconds = bare ? parse_duration(value + "ms") : parse_duration(value);
    if (!seconds || *seconds <= 0) return std::nullopt;
    return seconds;
  }
  return std::nullopt;
}

namespace detail {

namespace {

[[noreturn]] void bad_directive(const Migration& m, int byte, const std::string& why) {
  const TextPosition pos = position_of_byte(m.text, byte);
  throw ParseError(m.source_name, pos.line, pos.column, why);
}

// One `-- migsim:backfill key=value ...` line starting at byte `at` (its text after the colon is `body`).
Batching parse_directive(const Migration& m, int at, const std::string& body) {
  Batching b;
  b.line = position_of_byte(m.text, at).line;
  bool have_size = false;
  std::istringstream words(body);
  std::string word;
  while (words >> word) {
    const size_t eq = word.find('=');
    const std::string name = word.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
    if (eq == std::string::npos || value.empty()) {
      bad_directive(m, at, fmt::format("migsim:backfill: '{}' is not name=value (e.g. batch_size=5000 pause=100ms)", word));
    }
    if (name == "batch_size") {
      size_t used = 0;
      long long n = 0;
      try {
        n = std::stoll(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != value.size() || n < 1) bad_directive(m, at, fmt::format("migsim:backfill: batch_size must be a whole number of rows of at least 1, not '{}'", value));
      b.batch_rows = n;
      have_size = true;
    } else if (name == "pause") {
      const auto d = parse_duration(value);
      if (!d) bad_directive(m, at, fmt::format("migsim:backfill: pause must be a duration (e.g. 100ms, 1s), not '{}'", value));
      b.pause_s = *d;
    } else if (name == "key") {
      b.key = value;
    } else if (name == "skip_locked") {
      if (value != "yes" && value != "no" && value != "true" && value != "false") {
        bad_directive(m, at, fmt::format("migsim:backfill: skip_locked must be yes or no, not '{}'", value));
      }
      b.skip_locked = value == "yes" || value == "true";
    } else {
      bad_directive(m, at, fmt::format("migsim:backfill: unknown setting '{}' (known: batch_size, pause, key, skip_locked)", name));
    }
  }
  if (!have_size) bad_directive(m, at, "migsim:backfill: a batched backfill needs batch_size=N");
  return b;
}

}  // namespace

// `-- migsim:retry attempts=N backoff=D` anywhere in the file.
void read_retry(Migration& m) {
  size_t start = 0;
  while (start < m.text.size()) {
    size_t end = m.text.find('\n', start);
    if (end == std::string::npos) end = m.text.size();
    const std::string line = m.text.substr(start, end - start);
    const size_t dash = line.find_first_not_of(" \t");
    constexpr std::string_view kMarker = "migsim:retry";
    if (dash != std::string::npos && line.compare(dash, 2, "--") == 0) {
      const size_t k = line.find_first_not_of(" \t", dash + 2);
      if (k != std::string::npos && line.compare(k, kMarker.size(), kMarker) == 0) {
        const int at = static_cast<int>(start + dash);
        RetryPolicy r;
        std::istringstream words(line.substr(k + kMarker.size()));
        std::string word;
        while (words >> word) {
          const size_t eq = word.find('=');
          const std::string name = word.substr(0, eq);
          const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
          if (name == "attempts") {
            size_t used = 0;
            int n = 0;
            try {
              n = std::stoi(value, &used);
            } catch (const std::exception&) {
              used = 0;
            }
            if (used != value.size() || n < 1) bad_directive(m, at, fmt::format("migsim:retry: attempts must be a whole number of at least 1, not '{}'", value));
            r.attempts = n;
          } else if (name == "backoff") {
            const auto d = parse_duration(value);
            if (!d) bad_directive(m, at, fmt::format("migsim:retry: backoff must be a duration (e.g. 1s), not '{}'", value));
            r.backoff_s = *d;
          } else {
            bad_directive(m, at, fmt::format("migsim:retry: unknown setting '{}' (known: attempts, backoff)", word));
          }
        }
        m.retry = r;
      }
    }
    start = end + 1;
  }
}

void read_batching(Migration& m) {
  read_retry(m);
  for (Statement& st : m.statements) {
    // The statement's leading comments: from the end of the one before to its first token.
    const std::string prefix = m.text.substr(static_cast<size_t>(st.prefix_begin),
                                             static_cast<size_t>(std::max(0, st.begin - st.prefix_begin)));
    size_t line_start = 0;
    while (line_start < prefix.size()) {
      size_t line_end = prefix.find('\n', line_start);
      if (line_end == std::string::npos) line_end = prefix.size();
      std::string line = prefix.substr(line_start, line_end - line_start);
      const size_t dash = line.find_first_not_of(" \t");
      if (dash != std::string::npos && line.compare(dash, 2, "--") == 0) {
        size_t k = line.find_first_not_of(" \t", dash + 2);
        constexpr std::string_view kMarker = "migsim:backfill";
        if (k != std::string::npos && line.compare(k, kMarker.size(), kMarker) == 0) {
          const int at = st.prefix_begin + static_cast<int>(line_start + dash);
          if (st.kind != "UPDATE") {
            bad_directive(m, at, fmt::format("migsim:backfill: a batched backfill must be an UPDATE; the next "
                                             "statement is {}",
                                             st.kind));
          }
          st.batching = parse_directive(m, at, line.substr(k + kMarker.size()));
        }
      }
      line_start = line_end + 1;
    }
  }
}

}  // namespace detail

std::string batch_update_sql(const Migration& m, const Statement& st, const std::string& key, const std::string& limit,
                             bool first) {
  auto refuse = [&](const std::string& why) {
    throw ParseError(st.file.empty() ? m.source_name : st.file, st.line, st.column, why);
  };
  if (st.kind != "UPDATE") refuse("only an UPDATE can run in batches");
  if (st.update.has_from) refuse("UPDATE ... FROM cannot be batched by migsim; move the join into a subquery of SET");
  if (st.update.has_returning) refuse("a batched UPDATE must not have RETURNING (the batch returns its keys)");
  if (st.locks.empty() || st.locks.front().relation.name_begin < 0) refuse("cannot find the UPDATE's table");
  const int end = st.begin + static_cast<int>(st.sql.size());
  const bool has_where = st.update.where_keyword >= 0;
  if (!has_where && st.dml_rows == "where") {
    refuse("cannot find this UPDATE's WHERE keyword (a comment between WHERE and its condition?)");
  }
  const RelationRef& table = st.locks.front().relation;
  const std::string table_text = m.text.substr(static_cast<size_t>(table.name_begin),
                                               static_cast<size_t>(table.name_end - table.name_begin));
  const std::string head = m.text.substr(static_cast<size_t>(st.begin),
                                         static_cast<size_t>((has_where ? st.update.where_keyword : end) - st.begin));
  std::string condition =
      has_where ? m.text.substr(static_cast<size_t>(st.update.where_begin), static_cast<size_t>(end - st.update.where_begin))
                : std::string();
  condition.erase(0, std::min(condition.size(), condition.find_first_not_of(" \t\r\n")));
  const std::string k = quote_identifier(key);
  const std::string also = has_where ? fmt::format(" AND ({})", condition) : std::string();
  std::string trimmed_head = head;
  while (!trimmed_head.empty() && std::isspace(static_cast<unsigned char>(trimmed_head.back()))) trimmed_head.pop_back();
  const bool skip = !st.batching || st.batching->skip_locked;
  return fmt::format("{} WHERE {} IN (SELECT {} FROM {}{} WHERE {} {} $1{} ORDER BY {} LIMIT {} FOR UPDATE{}){} RETURNING {}",
                     trimmed_head, k, k, table_text, st.update.alias.empty() ? "" : " AS " + quote_identifier(st.update.alias),
                     k, first ? ">=" : ">", also, k, limit, skip ? " SKIP LOCKED" : "", also, k);
}

}  // namespace migsim::migration
