#pragma once
// Internal to migration/: classification of one parsed statement.

#include <nlohmann/json.hpp>

#include "migration/migration.h"

namespace migsim::migration::detail {

// Fills kind, locks[].mode, effect, depends_on and the flags of `statement`
// from its parse tree (`stmt` is the {"NodeType": {...}} object). `statement.locks`
// already lists every relation reference with its location.
void classify(const nlohmann::json& stmt, Statement& statement);

// Reads the `-- migsim:backfill` directives in each statement's leading comments
// (Batching, migration.h). Throws ParseError at a malformed one.
void read_batching(Migration& migration);

// The smallest "location" anywhere in a parse-tree node: where its text
// begins (-1 when it has none).
int first_location(const nlohmann::json& node);

// Byte span [begin, end) of the (up to three-part, possibly quoted) name that
// starts at `offset` in `text`.
std::pair<int, int> name_span(std::string_view text, int offset);

}  // namespace migsim::migration::detail
