#include "migration/strategy.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <fmt/format.h>

#include "migration/sources.h"

namespace migsim::migration {
namespace {

namespace fs = std::filesystem;

// "2-backfill.sql" -> "backfill", "010_expand.up.sql" -> "expand".
std::string phase_name(const std::string& path) {
  std::string stem = fs::path(path).filename().string();
  for (const char* suffix : {".up.sql", ".sql"}) {
    const std::string s = suffix;
    if (stem.size() > s.size() && stem.compare(stem.size() - s.size(), s.size(), s) == 0) {
      stem.resize(stem.size() - s.size());
      break;
    }
  }
  size_t i = 0;
  while (i < stem.size() && std::isdigit(static_cast<unsigned char>(stem[i]))) ++i;
  if (i > 0) {
    while (i < stem.size() && (stem[i] == '-' || stem[i] == '_' || stem[i] == '.' || stem[i] == ' ')) ++i;
  }
  return i < stem.size() ? stem.substr(i) : stem;
}

bool says_same_deploy(const std::string& text) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    const size_t dash = line.find_first_not_of(" \t");
    if (dash != std::string::npos && line.compare(dash, 2, "--") == 0) {
      const size_t k = line.find_first_not_of(" \t", dash + 2);
      if (k != std::string::npos && line.compare(k, 18, "migsim:same-deploy") == 0) return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

int Strategy::deploys() const {
  int n = 0;
  for (const Phase& p : phases) n += p.same_deploy ? 0 : 1;
  return std::max(n, 1);
}

std::pair<std::string, std::string> split_strategy_argument(const std::string& argument) {
  const size_t eq = argument.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == argument.size()) {
    throw InputError(fmt::format("--strategy '{}': expected NAME=PATH (a migration file or a folder of phase files)",
                                 argument));
  }
  return {argument.substr(0, eq), argument.substr(eq + 1)};
}

Strategy load_strategy(const std::string& name, const std::string& path) {
  Strategy s;
  s.name = name;
  s.path = path;
  if (path == kOnlineCopy) return s;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const MigrationSource& source : find_migrations(path)) {
      s.phases.push_back({phase_name(source.path), parse_migration(source.text, source.path), says_same_deploy(source.text)});
    }
    if (s.phases.empty()) throw InputError(fmt::format("{}: strategy {} has no .sql phase files", path, name));
  } else {
    s.phases.push_back({phase_name(path), load_migration(path), false});
  }
  return s;
}

}  // namespace migsim::migration
