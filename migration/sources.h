#pragma once
// Migrations as teams keep them: finding and ordering the pending migration
// files of a folder in the layouts of the common tools.

#include <optional>
#include <string>
#include <vector>

#include "migration/migration.h"

namespace migsim::migration {

struct MigrationSource {
  std::string path;    // the file the SQL comes from
  std::string layout;  // "flyway", "golang-migrate", "prisma", "dbmate", "sqitch" or "plain"
  std::string text;    // the SQL to run: for dbmate the `-- migrate:up` part, the rest blanked
                       // so that lines and columns still point into the file
};

// The migrations in `dir`, in the order the tool applies them:
//  - Flyway: V<version>__<name>.sql by version (numerically, part by part), then R__*.sql by name
//  - golang-migrate: <n>_<name>.up.sql by n (.down.sql ignored)
//  - Prisma Migrate: <timestamp>_<name>/migration.sql by folder name
//  - dbmate: <version>_<name>.sql with `-- migrate:up` / `-- migrate:down` sections, by version
//  - sqitch: sqitch.plan's changes in order, from deploy/<change>.sql
//  - otherwise every *.sql file, in natural order ("2_x" before "10_x")
// Throws InputError when the folder cannot be read or names a file that is
// missing (a sqitch change without its deploy script).
std::vector<MigrationSource> find_migrations(const std::string& dir);

// A file or standard input that may hold several migrations, as the tools
// print them, split into one source per migration (each its part of `text`,
// the rest blanked, so lines and columns still point into the input):
//  - alembic (`alembic upgrade --sql`): at each `-- Running upgrade A -> B`
//  - Rails: at each `== <version> <Name>: migrating` banner; the banners,
//    `-> 0.0012s` timings and the `(0.5ms)` prefixes of logged SQL are
//    blanked, and a logged statement without a `;` gets one
//  - Django (`manage.py sqlmigrate`, one after another): at each top-level
//    BEGIN that follows a COMMIT
// Anything else is one "plain" source holding the whole text. `name` is the
// input's name; a part is named "<name> [<label>]".
std::vector<MigrationSource> split_dump(const std::string& text, const std::string& name);

// Removes the statements that only touch a migration tool's own bookkeeping
// table (alembic_version, schema_migrations, ar_internal_metadata,
// django_migrations, flyway_schema_history, goose_db_version): they are not
// part of the change and would make the sampler refuse the file. Adds a note
// to the migration naming how many, and returns that number.
int drop_bookkeeping(Migration& migration);

// The migration a file's way back is: beside a golang-migrate N_name.up.sql,
// its N_name.down.sql; in a dbmate file, its `-- migrate:down` section (the
// rest blanked, so lines and columns point into the file); for a sqitch
// deploy/<change>.sql, revert/<change>.sql. nullopt when there is none.
std::optional<MigrationSource> find_down(const std::string& up_path);

// A file's text as it migrates up: a dbmate file's `-- migrate:up` section
// (the rest blanked), any other text unchanged.
std::string up_part(const std::string& text);

}  // namespace migsim::migration
