#pragma once
// Migrations as teams keep them: finding and ordering the pending migration
// files of a folder in the layouts of the common tools.

#include <string>
#include <vector>

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

}  // namespace migsim::migration
