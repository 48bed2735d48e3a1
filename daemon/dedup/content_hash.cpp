// The content hash: what makes two entries the same story whichever feeds carry them.
// Copies of a syndicated story differ in markup (<p> vs <br>), white space, entity
// spelling (&#8220; vs “), typographic quotes and case; the normalisation folds exactly
// those, and nothing that changes what a reader reads.

#include <cstdint>
#include <string>
#include <string_view>

#include "dedup/sha256.hpp"
#include "feedd/dedup.hpp"
#include "feedd/sanitize.hpp"
#include "parse/simple_html.hpp"

namespace feedd::dedup {

namespace {

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i. Invalid
// bytes come back as U+FFFD, one byte at a time, so the walk always ends.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  auto byte = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k]) & 0x3F); };
  if (b0 < 0x80) { i += 1; return b0; }
  if ((b0 & 0xE0) == 0xC0 && b0 >= 0xC2 && cont(1)) {
    char32_t cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | byte(1);
    i += 2;
    return cp;
  }
  if ((b0 & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    char32_t cp = (static_cast<char32_t>(b0 & 0x0F) << 12) | (byte(1) << 6) | byte(2);
    i += 3;
    return cp >= 0x800 && !(cp >= 0xD800 && cp <= 0xDFFF) ? cp : U'\uFFFD';
  }
  if ((b0 & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    char32_t cp = (static_cast<char32_t>(b0 & 0x07) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
    i += 4;
    return cp >= 0x10000 && cp <= 0x10FFFF ? cp : U'\uFFFD';
  }
  i += 1;
  return U'\uFFFD';
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_space(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// Characters that re-publishers swap for one another, folded to one spelling.
char32_t fold_punctuation(char32_t cp) {
  switch (cp) {
    case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x00B4: case 0x0060:
      return '\'';
    case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033: case 0x00AB: case 0x00BB:
      return '"';
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015: case 0x2212:
      return '-';
    default:
      return cp;
  }
}

// Simple case folding for the scripts news is mostly written in; a full Unicode fold
// would need ICU for little gain in matching copies.
char32_t fold_case(char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if ((cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)) return cp + 32;     // Latin-1
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;    // Greek
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;                   // Cyrillic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;                   // Cyrillic Ѐ-Џ
  if (cp >= 0x100 && cp <= 0x17F && cp % 2 == 0 && cp != 0x130) return cp + 1;  // Latin Extended-A (mostly paired)
  return cp;
}

bool is_invisible(char32_t cp) {
  return cp == 0xAD || cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 || cp == 0xFEFF;
}

}  // namespace

std::string normalise_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    // Most of what news is written in is ASCII: those bytes take no decoding and no
    // table lookups (the same folding as below: space, case, the backtick).
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      if (byte == ' ' || (byte >= '\t' && byte <= '\r')) {
        pending_space = !out.empty();
        continue;
      }
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.push_back(static_cast<char>(byte >= 'A' && byte <= 'Z' ? byte + 32 : byte == '`' ? '\'' : byte));
      // The rest of a word that needs no folding is copied at once.
      const std::size_t start = i;
      while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c <= ' ' || c >= 0x7F || (c >= 'A' && c <= 'Z') || c == '`') break;
        ++i;
      }
      out.append(text.data() + start, i - start);
      continue;
    }
    char32_t cp = next_code_point(text, i);
    if (is_invisible(cp)) continue;
    if (is_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (cp == 0x2026) {  // … is "..." in re-typed copies
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out += "...";
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    append_utf8(out, fold_case(fold_punctuation(cp)));
  }
  return out;
}

std::string content_hash(std::string_view title, std::string_view body_html) {
  // Title and text are hashed as separate fields so that moving words between them
  // makes a different story.
  // The title is plain text already (the parse stage made it so): stripping markup again
  // would eat a literal "<" in it.
  std::string material = normalise_text(title);
  material.push_back('\x1f');
  // Plain markup is stripped without libxml2 and without collapsing white space first:
  // normalise_text folds every space html_to_text's collapsing would, and more.
  if (std::string text; body_html.size() < (1 << 20) && parse::strip_simple_html(body_html, text))
    material += normalise_text(text);
  else
    material += normalise_text(html_to_text(body_html));
  return sha256_hex(material);
}

}  // namespace feedd::dedup
