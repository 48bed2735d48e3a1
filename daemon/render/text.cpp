#include "render/text.hpp"

#include <cstdint>

namespace feedd::render {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629: no overlongs,
// no surrogates, nothing above U+10FFFF) and its code point; 0 when malformed.
std::size_t decode_one(std::string_view s, std::uint32_t& code_point) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    code_point = b0;
    return 1;
  }
  std::size_t length = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2, min = 0x80, code_point = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3, min = 0x800, code_point = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4, min = 0x10000, code_point = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (!is_continuation(b)) return 0;
    code_point = (code_point << 6) | (b & 0x3F);
  }
  if (code_point < min || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return 0;
  return length;
}

bool allowed_in_xml(std::uint32_t c) {
  if (c < 0x20) return c == '\t' || c == '\n' || c == '\r';
  return c != 0xFFFE && c != 0xFFFF;
}

}  // namespace

std::string xml_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    std::uint32_t code_point = 0;
    const std::size_t length = decode_one(text, code_point);
    if (length == 0) {
      out += kReplacement;
      text.remove_prefix(1);
      continue;
    }
    if (allowed_in_xml(code_point)) out.append(text.substr(0, length));
    text.remove_prefix(length);
  }
  return out;
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

Timestamp newest_update(const std::vector<Story>& stories) {
  Timestamp newest{};
  for (const Story& story : stories) newest = std::max(newest, story.updated);
  return newest;
}

// Feed readers rarely show <source> or rel="via", so when several feeds carried a story
// their names also go into the text a person reads.
std::string sources_note_html(const Story& story) {
  std::string note = "<p>Also published by: ";
  for (std::size_t i = 0; i < story.sources.size(); ++i) {
    const StorySource& source = story.sources[i];
    if (i > 0) note += ", ";
    note += "<a href=\"" + render::escape_html(source.entry_link.value_or(source.url)) + "\">" +
            render::escape_html(source.name) + "</a>";
  }
  note += "</p>";
  return note;
}

}  // namespace feedd::render
