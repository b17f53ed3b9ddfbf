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

int first_invalid_utf8(std::string_view text) {
  const int n = static_cast<int>(text.size());
  for (int i = 0; i < n;) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int len = 0;
    unsigned int cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return -1;
}

}  // namespace migsim::migration
