#pragma once
// Positions in SQL source text: byte offsets to line/column, and skipping
// whitespace and comments. Columns count characters (UTF-8 code points), as
// editors and psql do.

#include <string_view>

namespace migsim::migration {

struct TextPosition {
  int line = 1;
  int column = 1;
};

// Line and column of the byte at `offset` (clamped to the text).
TextPosition position_of_byte(std::string_view text, int offset);

// Line and column of the 1-based character index `cursor` (libpg_query's
// PgQueryError::cursorpos counts characters, not bytes).
TextPosition position_of_char(std::string_view text, int cursor);

// Offset of the first byte at or after `offset` that is neither whitespace
// nor inside a `--` or (nested) `/* */` comment.
int skip_space_and_comments(std::string_view text, int offset);

// Byte offset of the first byte that is not part of valid UTF-8, or -1.
int first_invalid_utf8(std::string_view text);

}  // namespace migsim::migration
