#include "app/cli.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "app/compare.h"
#include "app/demo.h"
#include "app/estimate_pipeline.h"
#include "app/progress.h"
#include "migration/migration.h"
#include "migration/lint.h"
#include "migration/sources.h"
#include "migration/plan.h"
#include "migration/strategy.h"
#include "reports/format.h"
#include "reports/lint_report.h"
#include "reports/render.h"
#include "reports/simulation_io.h"
#include "reports/traffic_report.h"
#include "sampler/table_profile.h"
#include "sampler/traffic.h"
#include "sampler/errors.h"
#include "sampler/process.h"

namespace migsim::app {
namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: migsim <command> [options]\n"
    "\n"
    "commands:\n"
    "  estimate   time a migration on slices of the real table and predict the full-size time and locks\n"
    "  lint       static analysis, no database: locks, effects and golden-rule findings per statement\n"
    "  traffic    measure a table's live query rates and write a traffic profile for the lock simulator\n"
    "  simulate   replay a migration's lock timeline against a traffic profile: blocked queries, waits, pool\n"
    "  compare    estimate and simulate several strategies for one change side by side, and recommend one\n"
    "  plan       write the safe form of a migration as phase files (expand, backfill, validate, contract)\n"
    "  cleanup    list and drop scratch schemas left by crashed migsim runs\n"
    "  demo       start a throwaway PostgreSQL, load a 1,000,000-row table, estimate an example migration\n"
    "\n"
    "Run 'migsim <command> --help' for its options. Exit codes: 0 passed the gate, 1 gate failed,\n"
    "2 bad usage or input, 3 database or runtime error, 130 interrupted.\n";

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Options shared by the commands that estimate.
struct CommonOptions {
  std::string format = "text";
  std::string output;
  int seed = 42;
  int repeats = 3;
  std::string agreement = "5%";
  long long max_slice_rows = 200'000;
  int statement_timeout_ms = 60'000;
  int lock_timeout_ms = 2'000;
  std::string warn = "5min";
  std::string critical = "1h";
  std::string fail_on = "critical";
  std::string colour = "auto";
  bool quiet = false;
  bool help = false;
};

void add_common(po::options_description& d, CommonOptions& o) {
  d.add_options()
      ("format", po::value(&o.format)->default_value(o.format),
       "report formats, comma-separated, each optionally :FILE (e.g. text,json:out.json,junit:junit.xml): "
       "text, json, markdown, junit, html")
      ("output,o", po::value(&o.output), "write the format given without a FILE here instead of standard output")
      ("seed", po::value(&o.seed)->default_value(o.seed), "TABLESAMPLE REPEATABLE seed")
      ("repeats", po::value(&o.repeats)->default_value(o.repeats), "runs of the migration per slice size")
      ("agreement", po::value(&o.agreement)->default_value(o.agreement),
       "when each run commits (a migration that writes rows, CONCURRENTLY, VACUUM), a slice size's runs stop "
       "once two agree within this (e.g. 5%, 0.05; 0: always --repeats)")
      ("max-slice-rows", po::value(&o.max_slice_rows)->default_value(o.max_slice_rows),
       "rows in the largest slice (the ladder is this, 1/3 and 1/9 of it; a migration that only changes "
       "the catalog stops at 5000)")
      ("statement-timeout", po::value(&o.statement_timeout_ms)->default_value(o.statement_timeout_ms),
       "ms; statement_timeout for every query on the source table")
      ("lock-timeout", po::value(&o.lock_timeout_ms)->default_value(o.lock_timeout_ms),
       "ms; lock_timeout for every query on the source table")
      ("warn", po::value(&o.warn)->default_value(o.warn), "warning threshold (e.g. 300, 90s, 5min, 1h)")
      ("critical", po::value(&o.critical)->default_value(o.critical), "critical threshold")
      ("fail-on", po::value(&o.fail_on)->default_value(o.fail_on),
       "verdict that fails the gate (exit 1): never, warning or critical")
      ("quiet,q", po::bool_switch(&o.quiet), "no progress on stderr")
      ("color", po::value(&o.colour)->default_value(o.colour),
       "colour in the text report: auto (on a terminal, unless NO_COLOR is set), always or never")
      ("config", po::value<std::string>(),
       "a team's defaults, as `name = value` lines with these options' names (default: ./migsim.conf when it "
       "exists); the command line overrides it")
      ("help,h", po::bool_switch(&o.help), "this help");
}

void parse(const std::vector<std::string>& args, const po::options_description& desc) {
  po::variables_map vm;
  std::string config;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    // A config file (--config FILE, or ./migsim.conf) fills in what the command line left at its default.
    if (desc.find_nothrow("config", false) != nullptr) {
      if (vm.count("config")) {
        config = vm["config"].as<std::string>();
      } else if (std::ifstream("migsim.conf").good()) {
        config = "migsim.conf";
      }
    }
    if (!config.empty()) {
      std::ifstream file(config);
      if (!file) throw UsageError(fmt::format("{}: cannot read the config file", config));
      po::store(po::parse_config_file(file, desc), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(config.empty() ? std::string(e.what()) : fmt::format("{}: {}", config, e.what()));
  }
}

reports::FailOn parse_fail_on(const std::string& s) {
  if (s == "never") return reports::FailOn::never;
  if (s == "warning") return reports::FailOn::warning;
  if (s == "critical") return reports::FailOn::critical;
  throw UsageError(fmt::format("--fail-on must be never, warning or critical, not '{}'", s));
}

estimators::Thresholds parse_thresholds(const CommonOptions& o) {
  const auto warn = reports::parse_duration(o.warn);
  const auto critical = reports::parse_duration(o.critical);
  if (!warn) throw UsageError(fmt::format("--warn: '{}' is not a duration (e.g. 300, 90s, 5min, 1h)", o.warn));
  if (!critical) throw UsageError(fmt::format("--critical: '{}' is not a duration", o.critical));
  if (*critical < *warn) throw UsageError("--critical must not be below --warn");
  return {*warn, *critical};
}

// "text,json:out.json" -> {("text", ""), ("json", "out.json")}; a format
// without a file goes to --output when given.
std::vector<std::pair<std::string, std::string>> output_formats(const CommonOptions& o) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= o.format.size()) {
    const size_t comma = std::min(o.format.find(',', start), o.format.size());
    const std::string item = o.format.substr(start, comma - start);
    const size_t colon = item.find(':');
    if (!item.empty()) {
      out.emplace_back(item.substr(0, colon), colon == std::string::npos ? o.output : item.substr(colon + 1));
    }
    start = comma + 1;
  }
  return out;
}

// --agreement: a fraction ("0.05") or a percentage ("5%"), from 0 to 100 %.
double parse_agreement(const std::string& text) {
  std::string number = text;
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  const double fraction = percent ? value / 100 : value;
  if (number.empty() || end != number.c_str() + number.size() || !(fraction >= 0 && fraction <= 1)) {
    throw UsageError(fmt::format("--agreement: '{}' is not a fraction from 0 to 1 or a percentage (e.g. 5%)", text));
  }
  return fraction;
}

void check_common(const CommonOptions& o) {
  int to_stdout = 0;
  for (const auto& [name, path] : output_formats(o)) {
    if (name != "text" && name != "json" && name != "markdown" && name != "junit" && name != "html") {
      throw UsageError(fmt::format("--format: '{}' is not one of text, json, markdown, junit, html", name));
    }
    to_stdout += path.empty();
  }
  if (to_stdout > 1) throw UsageError("--format: at most one format without a :FILE (it goes to standard output or --output)");
  if (o.repeats < 1 || o.repeats > 100) throw UsageError("--repeats must be between 1 and 100");
  parse_agreement(o.agreement);
  if (o.max_slice_rows < 1000) throw UsageError("--max-slice-rows must be at least 1000");
  if (o.statement_timeout_ms < 0 || o.lock_timeout_ms < 0) throw UsageError("timeouts must not be negative");
  if (o.colour != "auto" && o.colour != "always" && o.colour != "never") {
    throw UsageError(fmt::format("--color must be auto, always or never, not '{}'", o.colour));
  }
}

// Progress on stderr; a bar only when it is the process's own terminal.
sampler::ProgressFn progress_printer(const CommonOptions& o, std::ostream& err) {
  if (o.quiet) return {};
  return app::progress_printer(err, &err == &std::cerr && stderr_is_terminal());
}

// Where to sample and what the copy may run: the options of the commands that estimate on a server.
struct SourceOptions {
  std::string dsn;
  std::string table;
  std::string scratch_dsn;
  std::vector<std::string> allowed_functions;
  std::vector<std::string> allowed_settings;
  bool allow_do = false;
  std::string batch_target = "200ms";
};

void add_source(po::options_description& d, SourceOptions& s) {
  d.add_options()
      ("dsn", po::value(&s.dsn), "libpq connection string or URI (default: the PG* environment variables)")
      ("table", po::value(&s.table), "the table to estimate, NAME or SCHEMA.NAME (default: the one the migration changes)")
      ("scratch-dsn", po::value(&s.scratch_dsn),
       "run the copies and the migration on this server (e.g. a staging server) instead of the source's; "
       "the types and functions the table uses must exist there")
      ("allow-function", po::value(&s.allowed_functions)->composing(),
       "run statements calling this function on the copy although migsim does not know it to be free of side "
       "effects (repeatable; NAME or SCHEMA.NAME as written in the migration)")
      ("allow-setting", po::value(&s.allowed_settings)->composing(),
       "let the migration SET this setting on the scratch session (repeatable)")
      ("allow-do", po::bool_switch(&s.allow_do),
       "run DO blocks on the copy: their SQL is not redirected (unqualified names still resolve to the copy); a "
       "write they make outside the copy is rolled back, but a sequence they advance stays advanced")
      ("batch-target", po::value(&s.batch_target)->default_value(s.batch_target),
       "a batched backfill (-- migsim:backfill batch_size=N pause=D before its UPDATE): the batch size "
       "recommended keeps each batch under this");
}

EstimateOptions estimate_options(const CommonOptions& o, const SourceOptions& src, std::ostream& err) {
  EstimateOptions e;
  e.dsn = src.dsn;
  e.table = src.table;
  e.sampling.allow.functions.insert(src.allowed_functions.begin(), src.allowed_functions.end());
  for (std::string name : src.allowed_settings) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    e.sampling.allow.settings.insert(name);
  }
  e.sampling.allow.do_blocks = src.allow_do;
  e.sampling.scratch_dsn = src.scratch_dsn;
  const auto batch_target = reports::parse_duration(src.batch_target);
  if (!batch_target || *batch_target <= 0) {
    throw UsageError(fmt::format("--batch-target: '{}' is not a positive duration", src.batch_target));
  }
  e.batch_target_seconds = *batch_target;
  e.thresholds = parse_thresholds(o);
  e.sampling.seed = o.seed;
  e.sampling.repeats = o.repeats;
  e.sampling.agreement = parse_agreement(o.agreement);
  e.sampling.max_slice_rows = o.max_slice_rows;
  e.sampling.statement_timeout_ms = o.statement_timeout_ms;
  e.sampling.lock_timeout_ms = o.lock_timeout_ms;
  e.sampling.progress = progress_printer(o, err);
  return e;
}

// Writes every requested format (an EstimateReport or an EstimateSet) and
// returns the gate's exit code.
template <typename Report>
int finish(const Report& report, const CommonOptions& o, std::ostream& out) {
  const reports::FailOn fail_on = parse_fail_on(o.fail_on);
  for (const auto& [name, path] : output_formats(o)) {
    // Colour only in a text report going to the process's own terminal.
    const bool colour = o.colour == "always" ||
                        (o.colour == "auto" && path.empty() && &out == &std::cout && stdout_wants_colour());
    const std::string document = name == "json"       ? reports::render_json(report)
                                 : name == "markdown" ? reports::render_markdown(report)
                                 : name == "junit"    ? reports::render_junit(report, fail_on)
                                 : name == "html"     ? reports::render_html(report)
                                                      : reports::render_text(report, colour);
    if (path.empty()) {
      out << document << std::flush;
    } else {
      std::ofstream file(path);
      file << document;
      if (!file) throw sampler::InputError(fmt::format("{}: cannot write the {} report", path, name));
    }
  }
  return reports::gate_exit_code(report.verdict, fail_on);
}

std::string read_input_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw sampler::InputError(fmt::format("{}: cannot read the file", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

sim::TrafficProfile load_traffic(const std::string& path) {
  try {
    return reports::parse_traffic(read_input_file(path), path);
  } catch (const reports::SimulationInputError& e) {
    throw sampler::InputError(e.what());
  }
}

void simulate_into(reports::EstimateReport& report, const sim::TrafficProfile& traffic, const std::string& traffic_path,
                   double target_s, const sampler::ProgressFn& progress) {
  if (progress) progress(fmt::format("simulating {}'s locks against {}", report.migration.source_name, traffic_path));
  try {
    add_simulation(report, traffic, traffic_path, target_s * 1e3);
  } catch (const std::invalid_argument& e) {
    throw sampler::InputError(fmt::format("{}: {}", traffic_path, e.what()));
  }
}

// The files of `dir` changed since git revision `rev` (committed since, or
// changed in the working tree, or new and untracked), as canonical paths.
std::set<std::string> changed_since(const std::string& dir, const std::string& rev) {
  if (rev.empty() || rev[0] == '-') throw UsageError(fmt::format("--since: '{}' is not a git revision", rev));
  const std::string abs = std::filesystem::absolute(dir).string();
  const std::string git = std::filesystem::exists("/usr/bin/git") ? "/usr/bin/git" : "/bin/git";
  if (!std::filesystem::exists(git)) throw sampler::InputError("--since needs git (Debian package git)");
  const sampler::ProcessResult top = sampler::run_process({git, "-C", abs, "rev-parse", "--show-toplevel"});
  if (top.exit_code != 0) {
    throw sampler::InputError(fmt::format("--since needs {} to be in a git repository: {}", dir, top.output));
  }
  const std::string root = top.output.substr(0, top.output.find('\n'));
  std::set<std::string> out;
  auto collect = [&](const std::vector<std::string>& argv, const std::string& what) {
    const sampler::ProcessResult r = sampler::run_process(argv);
    if (r.exit_code != 0) throw sampler::InputError(fmt::format("--since {}: {} failed: {}", rev, what, r.output));
    std::istringstream lines(r.output);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      std::error_code ec;
      const auto p = std::filesystem::weakly_canonical(std::filesystem::path(root) / line, ec);
      if (!ec) out.insert(p.string());
    }
  };
  // "--end-of-options" keeps a revision from being read as an option.
  collect({git, "-C", root, "diff", "--name-only", "--no-renames", "--end-of-options", rev, "--", abs}, "git diff");
  collect({git, "-C", root, "ls-files", "--others", "--exclude-standard", "--full-name", "--", abs}, "git ls-files");
  return out;
}

// What --migration names: one migration, or a set (a folder, or a dump of several).
struct Pending {
  bool set = false;
  std::string source;
  std::string layout;
  std::vector<migration::Migration> migrations;
};

Pending pending_migrations(const std::string& path, const std::string& since) {
  Pending p;
  p.source = path == "-" ? "<stdin>" : path;
  std::vector<migration::MigrationSource> sources;
  if (path != "-" && std::filesystem::is_directory(path)) {
    p.set = true;
    sources = migration::find_migrations(path);
    p.layout = sources.empty() ? "plain" : sources.front().layout;
    if (!since.empty()) {
      const std::set<std::string> changed = changed_since(path, since);
      std::erase_if(sources, [&](const migration::MigrationSource& s) {
        return changed.count(std::filesystem::weakly_canonical(s.path).string()) == 0;
      });
    }
  } else {
    if (!since.empty()) throw UsageError("--since needs --migration to be a folder");
    // A dbmate file migrates up by its `-- migrate:up` section.
    const std::string text = migration::up_part(migration::read_migration_text(path));
    sources = migration::split_dump(text, p.source);
    p.layout = sources.front().layout;
    p.set = p.layout != "plain";
  }
  for (const migration::MigrationSource& s : sources) {
    migration::Migration m = migration::parse_migration(s.text, s.path);
    migration::drop_bookkeeping(m);
    p.migrations.push_back(std::move(m));
  }
  return p;
}

int cmd_estimate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommonOptions o;
  SourceOptions src;
  std::string migration_path;
  std::string since;
  std::string traffic_path;
  std::string target = "200ms";
  std::string down_path;
  bool no_down = false;
  po::options_description desc(
      "migsim estimate --dsn DSN --migration FILE|DIR|- [--table NAME] [options]\n\n"
      "Copies slices of the table into a scratch schema, times the migration on each, and predicts\n"
      "its full-size duration and lock hold times. The source table is only read.\n\n"
      "--migration takes a SQL file, a folder of migrations (Flyway, golang-migrate, Prisma, dbmate,\n"
      "sqitch, or plain *.sql files), or '-' for standard input; a file or standard input may be the\n"
      "output of `alembic upgrade --sql`, Rails' migration log or Django's `sqlmigrate`. Several\n"
      "migrations are estimated in the order they apply, each reported on its own and in total.\n\noptions");
  desc.add_options()
      ("migration", po::value(&migration_path), "the migration: a SQL file, a folder of migrations, or '-' for standard input")
      ("since", po::value(&since),
       "with a folder: only the migrations changed since this git revision (committed or not), for pull requests")
      ("traffic", po::value(&traffic_path),
       "a traffic profile (see `migsim traffic`): simulate the estimated locks against it and report the blocked "
       "queries, the queue depth and a lock_timeout schedule")
      ("target", po::value(&target)->default_value(target), "with --traffic: the p99 added wait the schedule must keep")
      ("down", po::value(&down_path),
       "the migration's way back: run up then down on the copies, estimate the down migration, and check that the "
       "schema is back and the data intact (found by itself beside a golang-migrate .up.sql, in a dbmate file, and "
       "in sqitch's revert/)")
      ("no-down", po::bool_switch(&no_down), "do not look for a down migration beside the file");
  add_source(desc, src);
  add_common(desc, o);
  parse(args, desc);
  if (o.help) {
    out << desc << "\n";
    return kExitOk;
  }
  if (migration_path.empty()) throw UsageError("--migration FILE|DIR|- is required");
  check_common(o);
  const auto target_s = reports::parse_duration(target);
  if (!target_s || *target_s <= 0) throw UsageError(fmt::format("--target: '{}' is not a positive duration", target));
  EstimateOptions e = estimate_options(o, src, err);
  std::optional<sim::TrafficProfile> traffic;
  if (!traffic_path.empty()) traffic = load_traffic(traffic_path);
  const Pending pending = pending_migrations(migration_path, since);
  if (!pending.set) {
    std::optional<migration::Migration> down;
    if (!down_path.empty()) {
      down = migration::load_migration(down_path);
    } else if (!no_down) {
      if (const auto found = migration::find_down(migration_path)) {
        down = migration::parse_migration(found->text, found->path);
        if (e.sampling.progress) e.sampling.progress(fmt::format("way back: {} ({})", found->path, found->layout));
      }
    }
    if (down) migration::drop_bookkeeping(*down);
    reports::EstimateReport report = down && !down->statements.empty() ? estimate_with_down(pending.migrations.front(), *down, e)
                                                                        : estimate(pending.migrations.front(), e);
    if (traffic) simulate_into(report, *traffic, traffic_path, *target_s, e.sampling.progress);
    return finish(report, o, out);
  }
  if (!down_path.empty()) throw UsageError("--down goes with a single migration file, not a folder or a dump");
  reports::EstimateSet set;
  if (!pending.migrations.empty()) set = estimate_set(pending.migrations, e);
  set.thresholds = e.thresholds;
  set.source = pending.source;
  set.layout = pending.layout;
  set.since = since;
  if (pending.migrations.empty()) {
    set.notes.push_back(since.empty() ? "no migrations found" : fmt::format("no migration changed since {}", since));
  }
  if (traffic) {
    for (reports::MigrationEntry& entry : set.migrations) {
      if (entry.report) simulate_into(*entry.report, *traffic, traffic_path, *target_s, e.sampling.progress);
    }
  }
  summarize(set);
  return finish(set, o, out);
}

int cmd_compare(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommonOptions o;
  SourceOptions src;
  std::vector<std::string> strategy_args;
  std::string traffic_path;
  std::string target = "200ms";
  po::options_description desc(
      "migsim compare --dsn DSN --strategy NAME=PATH --strategy NAME=PATH ... [--traffic FILE] [options]\n\n"
      "Estimates several strategies for the same change on copies of the same table and shows them side\n"
      "by side: each phase's time with its interval, the longest hold of each lock mode, the simulated\n"
      "effect on the traffic (with --traffic), the number of deploys and the total time; then recommends\n"
      "one and says why. A strategy is a migration file (one phase, one deploy) or a folder of phase\n"
      "files run in order, each a deploy of its own (1-expand.sql, 2-backfill.sql, 3-contract.sql). A\n"
      "backfill phase declares its batches with `-- migsim:backfill batch_size=N pause=D` before its\n"
      "UPDATE. The gate (--fail-on) applies to the recommended strategy. The source table is only read.\n\noptions");
  desc.add_options()
      ("strategy", po::value(&strategy_args)->composing(), "NAME=PATH: a migration file or a folder of phase files (repeat for each strategy)")
      ("traffic", po::value(&traffic_path),
       "a traffic profile (see `migsim traffic`): simulate each phase's locks against it")
      ("target", po::value(&target)->default_value(target),
       "the traffic's latency budget: a strategy is safe when the p99 added wait stays under it (without "
       "--traffic: when no lock that blocks writes is held longer)");
  add_source(desc, src);
  add_common(desc, o);
  parse(args, desc);
  if (o.help) {
    out << desc << "\n";
    return kExitOk;
  }
  if (strategy_args.size() < 2) throw UsageError("compare needs at least two --strategy NAME=PATH");
  check_common(o);
  const auto target_s = reports::parse_duration(target);
  if (!target_s || *target_s <= 0) throw UsageError(fmt::format("--target: '{}' is not a positive duration", target));
  std::vector<migration::Strategy> strategies;
  for (const std::string& arg : strategy_args) {
    const auto [name, path] = migration::split_strategy_argument(arg);
    for (const migration::Strategy& earlier : strategies) {
      if (earlier.name == name) throw UsageError(fmt::format("--strategy: the name '{}' is given twice", name));
    }
    strategies.push_back(migration::load_strategy(name, path));
  }
  CompareOptions c;
  c.estimate = estimate_options(o, src, err);
  c.target_p99_ms = *target_s * 1e3;
  if (!traffic_path.empty()) {
    c.traffic = load_traffic(traffic_path);
    c.traffic_file = traffic_path;
  }
  const reports::Comparison comparison = compare(strategies, c);
  return finish(comparison, o, out);
}

int cmd_plan(const std::vector<std::string>& args, std::ostream& out) {
  std::string migration_path;
  std::string dsn;
  std::string out_dir;
  migration::PlanOptions p;
  std::string pause = p.pause;
  int statement_timeout_ms = 60'000;
  int lock_timeout_ms = 2'000;
  bool help = false;
  po::options_description desc(
      "migsim plan --migration FILE [--dsn DSN] [--out DIR] [options]\n\n"
      "Writes the safe form of a migration as phase files ready for `migsim compare`, numbered in order\n"
      "and only those with something to do: expand (catalog changes, one short transaction), backfill\n"
      "(a batched UPDATE), constrain (constraints added NOT VALID), validate (CONCURRENTLY index builds,\n"
      "VALIDATE CONSTRAINT) and contract (the swap, one short transaction); and retry.sh, which reruns\n"
      "a phase when its lock is not granted within lock_timeout. Renames\n"
      "and type changes need --dsn to read the column's type, default and indexes (read only).\n"
      "Without --out, the phases are printed.\n\noptions");
  desc.add_options()
      ("migration", po::value(&migration_path), "the migration file ('-' for standard input)")
      ("dsn", po::value(&dsn), "read the columns a rename or type change rebuilds from this database (read only)")
      ("out", po::value(&out_dir), "write the phase files and retry.sh into this folder (created if missing)")
      ("lock-timeout", po::value(&p.lock_timeout)->default_value(p.lock_timeout),
       "SET lock_timeout for the phases that take AccessExclusiveLock")
      ("batch-size", po::value(&p.batch_size)->default_value(p.batch_size), "rows per backfill batch")
      ("pause", po::value(&pause)->default_value(pause), "pause between backfill batches")
      ("statement-timeout", po::value(&statement_timeout_ms)->default_value(statement_timeout_ms),
       "ms; statement_timeout for the catalog reads")
      ("help,h", po::bool_switch(&help), "this help");
  parse(args, desc);
  if (help) {
    out << desc << "\n";
    return kExitOk;
  }
  if (migration_path.empty()) throw UsageError("--migration FILE is required");
  if (p.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  const auto lock_timeout = reports::parse_duration(p.lock_timeout);
  if (!lock_timeout || *lock_timeout <= 0) throw UsageError(fmt::format("--lock-timeout: '{}' is not a positive duration", p.lock_timeout));
  if (!reports::parse_duration(pause)) throw UsageError(fmt::format("--pause: '{}' is not a duration", pause));
  p.pause = pause;
  const migration::Migration m = migration::load_migration(migration_path);
  migration::ColumnLookup lookup;
  if (!dsn.empty()) {
    lookup = [&](const migration::RelationRef& table, const std::string& column) {
      return sampler::describe_column(dsn, table.schema, table.name, column, statement_timeout_ms, lock_timeout_ms);
    };
  }
  const migration::Plan plan = migration::make_plan(m, p, lookup);
  std::string summary = fmt::format("migsim plan: {} ({} statement{} rewritten, {} phase{})\n", m.source_name,
                                    plan.rewritten, plan.rewritten == 1 ? "" : "s", plan.phases.size(),
                                    plan.phases.size() == 1 ? "" : "s");
  for (const std::string& c : plan.changes) summary += fmt::format("  planned   {}\n", c);
  for (const std::string& k : plan.kept) summary += fmt::format("  as is     {}\n", k);
  if (out_dir.empty()) {
    out << summary;
    for (const migration::PlanPhase& phase : plan.phases) out << fmt::format("\n==> {} <==\n{}", phase.file, phase.sql);
    return kExitOk;
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (std::filesystem::path(out_dir) / name).string();
    std::ofstream file(path);
    file << text;
    if (!file) throw sampler::InputError(fmt::format("{}: cannot write the plan", path));
    summary += fmt::format("  wrote     {}\n", path);
  };
  for (const migration::PlanPhase& phase : plan.phases) write(phase.file, phase.sql);
  write("retry.sh", migration::retry_script());
  std::filesystem::permissions(std::filesystem::path(out_dir) / "retry.sh", std::filesystem::perms::owner_exec |
                               std::filesystem::perms::group_exec | std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add, ec);
  out << summary;
  return kExitOk;
}

int cmd_demo(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CommonOptions o;
  DemoOptions d;
  po::options_description desc(
      "migsim demo [--rows N] [--verify] [options]\n\n"
      "Starts a throwaway PostgreSQL 15 server in a temporary directory, loads the orders table from\n"
      "datasets/, estimates datasets/orders/migrations/quantity_to_bigint.sql on it, prints the report,\n"
      "then stops the server and deletes its directory (also on Ctrl-C and on error).\n\noptions");
  desc.add_options()
      ("rows", po::value(&d.rows)->default_value(d.rows), "rows in the demo table")
      ("verify", po::bool_switch(&d.verify),
       "afterwards, run the migration for real on the full table and print the actual time too");
  add_common(desc, o);
  parse(args, desc);
  if (o.help) {
    out << desc << "\n";
    return kExitOk;
  }
  if (d.rows < 1 || d.rows > 1'000'000'000) throw UsageError("--rows must be between 1 and 1,000,000,000");
  check_common(o);
  d.estimate = estimate_options(o, SourceOptions{}, err);
  const reports::EstimateReport report = run_demo(d);
  return finish(report, o, out);
}

int cmd_lint(const std::vector<std::string>& args, std::ostream& out) {
  std::vector<std::string> files;
  std::vector<std::string> ignore;
  std::string format = "text";
  std::string fail_on = "error";
  double table_rows = -1;
  bool list_rules = false;
  bool help = false;
  po::options_description desc(
      "migsim lint [options] FILE|DIR...\n\n"
      "Static analysis with no database: for each statement its kind, the lock PostgreSQL 15 takes on\n"
      "each table, its effect (catalog, scan, rewrite, index_build, dml), and golden-rule findings.\n"
      "Switch a rule off for one statement with a comment: -- migsim:ignore RULE[, RULE...]\n\noptions");
  desc.add_options()
      ("format", po::value(&format)->default_value(format), "text or json")
      ("fail-on", po::value(&fail_on)->default_value(fail_on),
       "lowest severity that fails (exit 1): info, warning, error or never")
      ("ignore", po::value(&ignore)->composing(), "switch a rule off for the run (repeatable, or comma-separated)")
      ("table-rows", po::value(&table_rows), "the table's size: scales the severity of size-dependent rules")
      ("list-rules", po::bool_switch(&list_rules), "list the rules and exit")
      ("help,h", po::bool_switch(&help), "this help");
  po::options_description hidden;
  hidden.add_options()("file", po::value(&files)->composing());
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description positional;
  positional.add("file", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  if (help) {
    out << desc << "\n";
    return kExitOk;
  }
  if (list_rules) {
    out << reports::render_lint_rules();
    return kExitOk;
  }
  if (files.empty()) throw UsageError("lint needs at least one FILE ('-' for standard input)");
  if (format != "text" && format != "json") throw UsageError(fmt::format("--format must be text or json, not '{}'", format));
  std::optional<migration::Severity> threshold;
  if (fail_on != "never") {
    threshold = migration::parse_severity(fail_on);
    if (!threshold) throw UsageError(fmt::format("--fail-on must be info, warning, error or never, not '{}'", fail_on));
  }
  migration::LintOptions options;
  for (const std::string& list : ignore) {
    size_t start = 0;
    while (start <= list.size()) {
      const size_t comma = std::min(list.find(',', start), list.size());
      const std::string id = list.substr(start, comma - start);
      if (!id.empty()) {
        if (migration::find_rule(id) == nullptr) throw UsageError(fmt::format("--ignore: no rule '{}' (see --list-rules)", id));
        options.disabled.insert(id);
      }
      start = comma + 1;
    }
  }
  if (table_rows >= 0) options.table_rows = table_rows;

  std::vector<reports::LintedFile> linted;
  auto add = [&](migration::Migration m) {
    reports::LintedFile f{std::move(m), {}};
    f.findings = migration::lint(f.migration, options);
    linted.push_back(std::move(f));
  };
  for (const std::string& file : files) {
    if (file != "-" && std::filesystem::is_directory(file)) {
      // A folder of migrations, in the order its tool applies them.
      for (const migration::MigrationSource& source : migration::find_migrations(file)) {
        add(migration::parse_migration(source.text, source.path));
      }
    } else {
      add(migration::load_migration(file));
    }
  }
  out << (format == "json" ? reports::render_lint_json(linted) : reports::render_lint_text(linted)) << std::flush;
  for (const auto& f : linted) {
    for (const auto& finding : f.findings) {
      if (threshold && static_cast<int>(finding.severity) >= static_cast<int>(*threshold)) return kExitGateFailed;
    }
  }
  return kExitOk;
}

int cmd_traffic(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string dsn;
  std::string table;
  std::string interval = "30s";
  std::string output;
  bool quiet = false;
  bool help = false;
  po::options_description desc(
      "migsim traffic --table NAME [--dsn DSN] [--interval 30s] [--output FILE]\n\n"
      "Samples the table's statistics (pg_stat_user_tables, and pg_stat_statements when installed) twice,\n"
      "--interval apart, and writes the rates as a traffic profile (JSON) for `migsim simulate`. Reads\n"
      "statistics only.\n\noptions");
  desc.add_options()
      ("dsn", po::value(&dsn), "libpq connection string or URI (default: the PG* environment variables)")
      ("table", po::value(&table), "NAME or SCHEMA.NAME")
      ("interval", po::value(&interval)->default_value(interval), "how long to measure (e.g. 30s, 5min)")
      ("output,o", po::value(&output), "write the profile to FILE instead of standard output")
      ("quiet,q", po::bool_switch(&quiet), "no progress on stderr")
      ("help,h", po::bool_switch(&help), "this help");
  parse(args, desc);
  if (help) {
    out << desc << "\n";
    return kExitOk;
  }
  if (table.empty()) throw UsageError("--table NAME is required");
  const auto seconds = reports::parse_duration(interval);
  if (!seconds || *seconds < 1) throw UsageError(fmt::format("--interval: '{}' is not a duration of at least 1 s", interval));
  CommonOptions progress_options;
  progress_options.quiet = quiet;
  const size_t dot = table.find('.');
  const sampler::TrafficMeasurement m = sampler::measure_traffic(
      dsn, dot == std::string::npos ? "" : table.substr(0, dot), dot == std::string::npos ? table : table.substr(dot + 1),
      *seconds, progress_printer(progress_options, err));
  const std::string json = reports::render_traffic_json(m);
  if (output.empty()) {
    out << json << std::flush;
  } else {
    std::ofstream file(output);
    file << json;
    if (!file) throw sampler::InputError(fmt::format("{}: cannot write the traffic profile", output));
    if (!quiet) err << fmt::format("migsim: traffic profile of {}.{} written to {}\n", m.schema, m.table, output);
  }
  return kExitOk;
}

int cmd_simulate(const std::vector<std::string>& args, std::ostream& out) {
  std::string timeline_path;
  std::string traffic_path;
  std::string format = "text";
  std::string duration;
  std::string statement_timeout;
  std::string target = "200ms";
  std::uint64_t seed = 1;
  bool help = false;
  po::options_description desc(
      "migsim simulate --timeline FILE --traffic FILE [options]\n\n"
      "Simulates PostgreSQL's lock queue on the table: the migration's lock timeline (hand-written, or the\n"
      "JSON `migsim estimate` prints) against the traffic profile (hand-written, or `migsim traffic`).\n"
      "Reports blocked queries, added waits, queue depth, pool exhaustion, and the lock_timeout and retry\n"
      "schedule that keeps the traffic's p99 added wait under --target.\n\noptions");
  desc.add_options()
      ("timeline", po::value(&timeline_path), "the migration's lock timeline (JSON)")
      ("traffic", po::value(&traffic_path), "the traffic profile (JSON)")
      ("seed", po::value(&seed)->default_value(seed), "random seed: same seed, same result")
      ("duration", po::value(&duration), "simulated time (default: until the migration is done and the queues drain)")
      ("statement-timeout", po::value(&statement_timeout), "the application's statement_timeout (e.g. 5s)")
      ("target", po::value(&target)->default_value(target), "p99 added wait the recommendation must keep")
      ("format", po::value(&format)->default_value(format), "text or json")
      ("help,h", po::bool_switch(&help), "this help");
  parse(args, desc);
  if (help) {
    out << desc << "\n";
    return kExitOk;
  }
  if (timeline_path.empty() || traffic_path.empty()) throw UsageError("--timeline FILE and --traffic FILE are required");
  if (format != "text" && format != "json") throw UsageError(fmt::format("--format must be text or json, not '{}'", format));
  sim::SimulationOptions o;
  o.seed = seed;
  if (!duration.empty()) {
    const auto d = reports::parse_duration(duration);
    if (!d || *d <= 0) throw UsageError(fmt::format("--duration: '{}' is not a positive duration", duration));
    o.duration_s = *d;
  }
  if (!statement_timeout.empty()) {
    const auto d = reports::parse_duration(statement_timeout);
    if (!d || *d <= 0) throw UsageError(fmt::format("--statement-timeout: '{}' is not a positive duration", statement_timeout));
    o.statement_timeout_s = *d;
  }
  const auto target_s = reports::parse_duration(target);
  if (!target_s) throw UsageError(fmt::format("--target: '{}' is not a duration", target));
  try {
    const sim::TrafficProfile traffic = reports::parse_traffic(read_input_file(traffic_path), traffic_path);
    const sim::MigrationTimeline timeline = reports::parse_timeline(read_input_file(timeline_path), timeline_path);
    const sim::SimulationResult result = sim::simulate(traffic, timeline, o);
    const sim::LockTimeoutAdvice advice = sim::recommend_lock_timeout(traffic, timeline, o, *target_s * 1e3);
    out << (format == "json" ? reports::render_simulation_json(result, advice, *target_s * 1e3)
                             : reports::render_simulation_text(result, advice, *target_s * 1e3))
        << std::flush;
  } catch (const reports::SimulationInputError& e) {
    throw sampler::InputError(e.what());
  } catch (const std::invalid_argument& e) {
    throw sampler::InputError(fmt::format("{}: {}", traffic_path, e.what()));
  }
  return kExitOk;
}

int cmd_cleanup(const std::vector<std::string>& args, std::ostream& out) {
  std::string dsn;
  std::string older_than;
  bool dry_run = false;
  bool help = false;
  po::options_description desc(
      "migsim cleanup [--dsn DSN] [--older-than D] [--dry-run]\n\n"
      "Lists the scratch schemas (migsim_scratch_<backend pid>_<unix time>) in the database and drops those\n"
      "whose run is gone (its backend no longer exists) or, with --older-than, that are older than D.\n\noptions");
  desc.add_options()
      ("dsn", po::value(&dsn), "libpq connection string or URI (default: the PG* environment variables)")
      ("older-than", po::value(&older_than), "also drop schemas older than this (e.g. 6h), even if their backend lives")
      ("dry-run", po::bool_switch(&dry_run), "only list what would be dropped")
      ("help,h", po::bool_switch(&help), "this help");
  parse(args, desc);
  if (help) {
    out << desc << "\n";
    return kExitOk;
  }
  std::optional<double> max_age;
  if (!older_than.empty()) {
    max_age = reports::parse_duration(older_than);
    if (!max_age) throw UsageError(fmt::format("--older-than: '{}' is not a duration (e.g. 30min, 6h)", older_than));
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const std::vector<sampler::ScratchSchemaInfo> schemas = sampler::list_scratch_schemas(dsn);
  int dropped = 0;
  for (const sampler::ScratchSchemaInfo& s : schemas) {
    const double age = static_cast<double>(now - s.created_unix);
    const bool old = max_age && age > *max_age;
    const bool drop = !s.backend_alive || old;
    const std::string why = !s.backend_alive ? "its backend is gone" : old ? "older than --older-than" : "its run is active";
    out << fmt::format("{}  age {}  {}: {}\n", s.name, reports::human_seconds(age), why,
                       drop ? (dry_run ? "would drop" : "dropped") : "kept");
    if (drop && !dry_run) {
      sampler::drop_scratch_schema(dsn, s.name);
      ++dropped;
    }
  }
  out << fmt::format("{} scratch schema{} found, {} dropped\n", schemas.size(), schemas.size() == 1 ? "" : "s", dropped);
  return kExitOk;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      (args.empty() ? err : out) << kUsage;
      return args.empty() ? kExitBadInput : kExitOk;
    }
    if (args[0] == "--version") {
      out << "migsim 0.1.0\n";
      return kExitOk;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "estimate") return cmd_estimate(rest, out, err);
    if (args[0] == "compare") return cmd_compare(rest, out, err);
    if (args[0] == "plan") return cmd_plan(rest, out);
    if (args[0] == "demo") return cmd_demo(rest, out, err);
    if (args[0] == "lint") return cmd_lint(rest, out);
    if (args[0] == "cleanup") return cmd_cleanup(rest, out);
    if (args[0] == "traffic") return cmd_traffic(rest, out, err);
    if (args[0] == "simulate") return cmd_simulate(rest, out);
    throw UsageError(fmt::format("unknown command '{}'", args[0]));
  } catch (const UsageError& e) {
    err << "migsim: " << e.what() << "\n" << kUsage;
    return kExitBadInput;
  } catch (const migration::ParseError& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  } catch (const migration::InputError& e) {
    err << "migsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const sampler::InputError& e) {
    err << "migsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const sampler::UnsafeMigration& e) {
    err << e.what() << "\n";
    return kExitBadInput;
  } catch (const sampler::Interrupted&) {
    err << "migsim: interrupted; the scratch schema and any throwaway server were cleaned up\n";
    return kExitInterrupted;
  } catch (const sampler::DatabaseError& e) {
    err << "migsim: " << e.what() << "\n";
    return kExitRuntime;
  } catch (const std::exception& e) {
    err << "migsim: internal error: " << e.what() << "\n";
    return kExitRuntime;
  }
}

}  // namespace migsim::app
