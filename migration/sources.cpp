#include "migration/sources.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "migration/migration.h"

namespace migsim::migration {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read the migration file", p.string()));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Natural order: digit runs compare as numbers.
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = i;
      size_t je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      std::string na = a.substr(i, ie - i);
      std::string nb = b.substr(j, je - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// Flyway versions: "1.2_3" -> {1, 2, 3}.
std::vector<long long> version_parts(const std::string& v) {
  std::vector<long long> parts;
  std::string cur;
  for (char c : v + ".") {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      cur += c;
    } else if (!cur.empty()) {
      parts.push_back(std::stoll(cur.substr(0, 18)));
      cur.clear();
    }
  }
  return parts;
}

// dbmate: keep the lines of the `-- migrate:up` (or `-- migrate:down`)
// section, blank everything else (newlines kept).
std::string dbmate_section(const std::string& text, bool want_up) {
  std::string out = text;
  int section = 0;  // 0: before any marker, 1: up, 2: down
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string trimmed = text.substr(start, end - start);
    trimmed.erase(0, std::min(trimmed.find_first_not_of(" \t"), trimmed.size()));
    const bool marker_up = trimmed.rfind("-- migrate:up", 0) == 0;
    const bool marker_down = trimmed.rfind("-- migrate:down", 0) == 0;
    if (marker_up) section = 1;
    if (marker_down) section = 2;
    const bool keep = section == (want_up ? 1 : 2) && !marker_up && !marker_down;
    if (!keep) std::fill(out.begin() + static_cast<long>(start), out.begin() + static_cast<long>(end), ' ');
    start = end + 1;
  }
  return out;
}

std::string dbmate_up(const std::string& text) { return dbmate_section(text, true); }

}  // namespace

std::vector<MigrationSource> find_migrations(const std::string& dir_name) {
  const fs::path dir(dir_name);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(fmt::format("{}: not a folder of migrations", dir_name));
  std::vector<MigrationSource> out;

  // sqitch: the plan names the order.
  if (fs::exists(dir / "sqitch.plan")) {
    std::istringstream plan(read(dir / "sqitch.plan"));
    std::string line;
    while (std::getline(plan, line)) {
      if (line.empty() || line[0] == '%' || line[0] == '#' || line[0] == '@' || std::isspace(static_cast<unsigned char>(line[0]))) continue;
      const std::string change = line.substr(0, line.find_first_of(" \t["));
      const fs::path script = dir / "deploy" / (change + ".sql");
      if (!fs::exists(script)) throw InputError(fmt::format("{}: sqitch change {} has no {}", (dir / "sqitch.plan").string(), change, script.string()));
      out.push_back({script.string(), "sqitch", read(script)});
    }
    return out;
  }

  std::vector<fs::path> files;
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql") files.push_back(entry.path());
    if (entry.is_directory() && fs::exists(entry.path() / "migration.sql")) folders.push_back(entry.path());
  }
  if (ec) throw InputError(fmt::format("{}: cannot read the folder: {}", dir_name, ec.message()));

  // Prisma Migrate: <timestamp>_<name>/migration.sql.
  if (!folders.empty() && files.empty()) {
    std::sort(folders.begin(), folders.end(), [](const fs::path& a, const fs::path& b) {
      return natural_less(a.filename().string(), b.filename().string());
    });
    for (const fs::path& f : folders) out.push_back({(f / "migration.sql").string(), "prisma", read(f / "migration.sql")});
    return out;
  }

  const std::regex flyway(R"(^V([0-9][0-9._]*)__.+\.sql$)");
  const std::regex flyway_repeatable(R"(^R__.+\.sql$)");
  const std::regex golang(R"(^([0-9]+)_.+\.up\.sql$)");
  std::vector<std::pair<std::vector<long long>, fs::path>> versioned;
  std::vector<fs::path> repeatable;
  std::vector<std::pair<long long, fs::path>> ups;
  bool any_down = false;
  for (const fs::path& f : files) {
    const std::string name = f.filename().string();
    std::smatch m;
    if (std::regex_match(name, m, flyway)) versioned.emplace_back(version_parts(m[1].str()), f);
    else if (std::regex_match(name, flyway_repeatable)) repeatable.push_back(f);
    else if (std::regex_match(name, m, golang)) ups.emplace_back(std::stoll(m[1].str().substr(0, 18)), f);
    any_down = any_down || (name.size() > 9 && name.compare(name.size() - 9, 9, ".down.sql") == 0);
  }
  if (!versioned.empty()) {
    std::sort(versioned.begin(), versioned.end());
    std::sort(repeatable.begin(), repeatable.end());
    for (const auto& [v, f] : versioned) out.push_back({f.string(), "flyway", read(f)});
    for (const fs::path& f : repeatable) out.push_back({f.string(), "flyway", read(f)});
    return out;
  }
  if (!ups.empty() || any_down) {
    std::sort(ups.begin(), ups.end());
    for (const auto& [n, f] : ups) out.push_back({f.string(), "golang-migrate", read(f)});
    return out;
  }
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return natural_less(a.filename().string(), b.filename().string());
  });
  for (const fs::path& f : files) {
    const std::string text = read(f);
    if (text.find("-- migrate:up") != std::string::npos) {
      out.push_back({f.string(), "dbmate", dbmate_up(text)});
    } else {
      out.push_back({f.string(), "plain", text});
    }
  }
  return out;
}

namespace {

struct Line {
  size_t begin;  // offset of its first byte
  size_t end;    // offset of its '\n' (or the end of the text)
};

std::vector<Line> lines_of(const std::string& text) {
  std::vector<Line> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back({start, end});
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

// `text` with everything outside [begin, end) blanked, newlines kept.
std::string only(const std::string& text, size_t begin, size_t end) {
  std::string out = text;
  for (size_t i = 0; i < out.size(); ++i) {
    if ((i < begin || i >= end) && out[i] != '\n') out[i] = ' ';
  }
  return out;
}

// Rails' migration output: banners and timings blanked, logged SQL freed of
// its "(0.5ms)" prefix and bind list and given its ';'.
std::string rails_sql(const std::string& text) {
  static const std::regex banner(R"(^\s*==.*$)");
  static const std::regex timing(R"(^\s*->\s.*$)");
  static const std::regex logged(R"(^(\s*(?:[A-Za-z][\w:]*(?: [A-Za-z][\w:]*)* )?\(\d+(?:\.\d+)?ms\)\s+)(.*?)(\s+\[\[.*\]\])?\s*$)");
  std::string out;
  for (const Line& l : lines_of(text)) {
    std::string line = text.substr(l.begin, l.end - l.begin);
    std::smatch m;
    if (std::regex_match(line, banner) || std::regex_match(line, timing)) {
      line.assign(line.size(), ' ');
    } else if (std::regex_match(line, m, logged)) {
      std::string sql = m[2].str();
      if (!sql.empty() && sql.back() != ';') sql += ';';
      line = std::string(static_cast<size_t>(m.length(1)), ' ') + sql;
    }
    out += line;
    if (l.end < text.size()) out += '\n';
  }
  return out;
}

}  // namespace

std::vector<MigrationSource> split_dump(const std::string& input, const std::string& name) {
  static const std::regex alembic(R"(^-- Running upgrade (.*?) ?-> (\S+)\s*$)");
  static const std::regex rails(R"(^==\s+(\d+)\s+(\w+): migrating\b.*$)");
  static const std::regex django_operation(R"(^-- (\S.*)$)");
  std::string text = input;
  std::vector<Line> lines = lines_of(text);
  auto line_text = [&](size_t i) { return text.substr(lines[i].begin, lines[i].end - lines[i].begin); };

  std::string layout;
  std::vector<std::pair<size_t, std::string>> starts;  // (line index, label)
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    const std::string l = line_text(i);
    if (std::regex_match(l, m, alembic)) {
      layout = "alembic";
      starts.emplace_back(i, m[1].str().empty() ? "upgrade -> " + m[2].str() : "upgrade " + m[1].str() + " -> " + m[2].str());
    } else if (std::regex_match(l, m, rails)) {
      layout = "rails";
      starts.emplace_back(i, m[1].str() + " " + m[2].str());
    }
  }
  if (layout == "rails") {
    text = rails_sql(input);
    lines = lines_of(text);  // the same lines, so `starts` still holds; their offsets moved
  }
  if (layout.empty()) {
    // Django's sqlmigrate: "--\n-- Operation\n--" comments inside BEGIN; ... COMMIT;
    bool operations = false;
    bool after_commit = true;
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string l = line_text(i);
      while (!l.empty() && (l.back() == ' ' || l.back() == '\r' || l.back() == '\t')) l.pop_back();
      std::smatch m;
      if (l == "--" && i + 2 < lines.size() && line_text(i + 2).rfind("--", 0) == 0) {
        const std::string op = line_text(i + 1);
        if (std::regex_match(op, m, django_operation)) {
          operations = true;
          if (!starts.empty() && starts.back().second.empty()) starts.back().second = m[1].str();
        }
      }
      if (l == "BEGIN;" && after_commit) {
        starts.emplace_back(i, "");
        after_commit = false;
      }
      if (l == "COMMIT;") after_commit = true;
    }
    if (operations && !starts.empty()) {
      layout = "django";
      for (size_t k = 0; k < starts.size(); ++k) {
        if (starts[k].second.empty()) starts[k].second = fmt::format("migration {}", k + 1);
      }
    } else {
      starts.clear();
    }
  }
  if (starts.empty()) return {{name, "plain", input}};

  std::vector<MigrationSource> out;
  for (size_t k = 0; k < starts.size(); ++k) {
    const size_t begin = k == 0 ? 0 : lines[starts[k].first].begin;
    const size_t end = k + 1 < starts.size() ? lines[starts[k + 1].first].begin : text.size();
    out.push_back({fmt::format("{} [{}]", name, starts[k].second), layout, only(text, begin, end)});
  }
  return out;
}

int drop_bookkeeping(Migration& m) {
  static const std::vector<std::string> tables = {"alembic_version",   "schema_migrations",     "ar_internal_metadata",
                                                  "django_migrations", "flyway_schema_history", "goose_db_version"};
  auto bookkeeping = [&](const Statement& st) {
    if (st.locks.empty()) return false;
    for (const RelationLock& l : st.locks) {
      if (std::find(tables.begin(), tables.end(), l.relation.name) == tables.end()) return false;
    }
    return true;
  };
  const auto removed = std::remove_if(m.statements.begin(), m.statements.end(), bookkeeping);
  const int n = static_cast<int>(m.statements.end() - removed);
  m.statements.erase(removed, m.statements.end());
  if (n > 0) {
    m.notes.push_back(fmt::format("{} statement{} on the migration tool's own version table left out", n,
                                  n == 1 ? "" : "s"));
  }
  return n;
}

std::string up_part(const std::string& text) {
  return text.find("-- migrate:up") != std::string::npos ? dbmate_up(text) : text;
}

std::optional<MigrationSource> find_down(const std::string& up_path) {
  if (up_path == "-") return std::nullopt;
  const fs::path up(up_path);
  const std::string name = up.filename().string();
  // golang-migrate: N_name.up.sql beside N_name.down.sql.
  if (name.size() > 7 && name.compare(name.size() - 7, 7, ".up.sql") == 0) {
    const fs::path down = up.parent_path() / (name.substr(0, name.size() - 7) + ".down.sql");
    if (fs::exists(down)) return MigrationSource{down.string(), "golang-migrate", read(down)};
    return std::nullopt;
  }
  // dbmate: the file's own `-- migrate:down` section.
  std::error_code ec;
  if (!fs::is_regular_file(up, ec)) return std::nullopt;
  const std::string text = read(up);
  if (text.find("-- migrate:down") != std::string::npos) return MigrationSource{up.string(), "dbmate", dbmate_section(text, false)};
  // sqitch: deploy/<change>.sql beside revert/<change>.sql.
  if (up.parent_path().filename() == "deploy") {
    const fs::path revert = up.parent_path().parent_path() / "revert" / name;
    if (fs::exists(revert)) return MigrationSource{revert.string(), "sqitch", read(revert)};
  }
  return std::nullopt;
}

}  // namespace migsim::migration
