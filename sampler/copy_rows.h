#pragma once
// Internal to sampler/: streaming rows from the source into a scratch table
// with COPY, through the client, on two connections of libpq's own (libpqxx
// 6.4's stream_to << stream_from mangles rows).

#include <string>

namespace migsim::sampler::detail {

struct CopyRequest {
  std::string dsn;            // the source's server
  std::string target_dsn;     // the scratch schema's server (may be the same)
  std::string select_sql;     // a SELECT over the source, run READ ONLY
  int statement_timeout_ms = 0;
  int lock_timeout_ms = 0;
  std::string target_table;   // quoted, qualified
  std::string column_list;    // quoted, comma-separated
  // COPY's binary format: no text to print and parse (0.5-0.8 s instead of
  // 0.9-1.0 s for 98,000 rows of datasets/orders). Only between a server and itself:
  // the binary form of an array or a composite names its element types by
  // OID, which another server's catalog need not share.
  bool binary = false;
};

// Runs `COPY (select_sql) TO STDOUT` (binary with `binary`) in a READ ONLY REPEATABLE READ transaction
// with the given timeouts, and feeds every row into `COPY target (columns)
// FROM STDIN` in a transaction that commits at the end. Returns the rows
// copied. Throws DatabaseError (server message) or Interrupted.
long long copy_rows(const CopyRequest& request);

}  // namespace migsim::sampler::detail
