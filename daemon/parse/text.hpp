#pragma once
// Small UTF-8 and white-space helpers shared by the parsers and the sanitiser.

#include <string>
#include <string_view>

namespace feedd::parse {

// Appends the UTF-8 form of `cp`; surrogates and values past U+10FFFF become U+FFFD.
void append_utf8(std::string& out, char32_t cp);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with every ill-formed byte sequence replaced by U+FFFD.
std::string to_valid_utf8(std::string_view text);

// Plain-text fields (titles, names, categories, links) longer than this are cut with a
// warning (feed_parser.cpp); HTML fields are capped before sanitising (field_table.cpp).
inline constexpr size_t kMaxTextBytes = 64 * 1024;

// The longest prefix of `text` of at most `limit` bytes that does not end inside a
// UTF-8 sequence.
size_t utf8_cut(std::string_view text, size_t limit);

// Valid UTF-8 without NUL: a JSON Feed's "\u0000" is valid UTF-8, but the first C string
// API downstream would cut the value there.
std::string to_valid_text(std::string_view text);

// Runs of white space (ASCII and U+00A0) become one space; leading and trailing removed.
std::string collapse_whitespace(std::string_view text);

// `text` without leading and trailing ASCII white space.
std::string_view trim(std::string_view text);

// `text` with every '<' that cannot open a tag (not followed by a letter, '/', '!' or '?',
// or with no '>' after it) written as "&lt;", so that a title such as "if a<b then" keeps
// its words when read as HTML.
std::string escape_stray_angle_brackets(std::string_view text);

bool iequals(std::string_view a, std::string_view b);
std::string to_lower_ascii(std::string_view text);

}  // namespace feedd::parse
