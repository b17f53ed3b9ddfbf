#include "migration/source_text.h"

#include <cctype>

namespace migsim::migration {

TextPosition position_of_byte(std::string_view text, int offset) {
  TextPosition pos;
  const int end = offset < 0 ? 0 : (offset > static_cast<int>(text.size()) ? static_cast<int>(text.size()) : offset);
  for (int i = 0; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // count lead bytes only
      ++pos.column;
    }
  }
  return pos;
}

TextPosition position_of_char(std::string_view text, int cursor) {
  int chars = 0;
  int i = 0;
  for (; i < static_cast<int>(text.size()); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;
    if (++chars == cursor) break;
  }
  return position_of_byte(text, i);
}

int skip_space_and_comments(std::string_view text, int offset) {
  const int n = static_cast<int>(text.size());
  int i = offset;
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (std::isspace(c)) {
      ++i;
    } else if (c == '-' && i + 1 < n && text[i + 1] == '-') {
      while (i < n && text[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
      int depth = 0;
      do {
        if (text[i] == '/' && i + 1 < n && text[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (text[i] == '*' && i + 1 < n && text[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      } while (i < n && depth > 0);
    } else {
      break;
    }
  }
  return i;
}

}  // namespace migsim::migration
