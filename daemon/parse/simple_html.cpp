// The exact tag-stripper (simple_html.hpp): moved out of the fast path so that
// html_to_text and the content hash take it too.
#include "parse/simple_html.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "parse/html_entities.hpp"
#include "parse/text.hpp"

namespace feedd::parse {
namespace {


// kDropped: the sanitiser and html_to_text drop the element with all it holds; read here
// only where libxml2 is sure to do the same (see skip_dropped).
enum class Kind { kInline, kBlock, kVoidInline, kVoidBlock, kDropped };

struct KnownElement {
  std::string_view name;
  Kind kind;
};

// Elements whose place in libxml2's tree is exactly where their tags are, as long as
// they nest properly and no block opens inside an inline element or a paragraph (where
// libxml2 would close elements the markup did not close). Block ones are sanitizer.cpp's
// kBlockElements: the text gets a space at each of their boundaries.
constexpr KnownElement kKnownElements[] = {
    {"a", Kind::kInline},          {"abbr", Kind::kInline},      {"b", Kind::kInline},
    {"cite", Kind::kInline},       {"code", Kind::kInline},      {"em", Kind::kInline},
    {"i", Kind::kInline},          {"mark", Kind::kInline},      {"q", Kind::kInline},
    {"s", Kind::kInline},          {"small", Kind::kInline},     {"span", Kind::kInline},
    {"strong", Kind::kInline},     {"sub", Kind::kInline},       {"sup", Kind::kInline},
    {"time", Kind::kInline},       {"u", Kind::kInline},         {"kbd", Kind::kInline},
    {"var", Kind::kInline},        {"samp", Kind::kInline},      {"dfn", Kind::kInline},
    {"p", Kind::kBlock},           {"div", Kind::kBlock},        {"blockquote", Kind::kBlock},
    {"ul", Kind::kBlock},          {"ol", Kind::kBlock},         {"li", Kind::kBlock},
    {"h1", Kind::kBlock},          {"h2", Kind::kBlock},         {"h3", Kind::kBlock},
    {"h4", Kind::kBlock},          {"h5", Kind::kBlock},         {"h6", Kind::kBlock},
    {"figure", Kind::kBlock},      {"figcaption", Kind::kBlock}, {"br", Kind::kVoidBlock},
    {"hr", Kind::kVoidBlock},      {"img", Kind::kVoidInline},   {"script", Kind::kDropped},
    {"style", Kind::kDropped},     {"iframe", Kind::kDropped},
};

const KnownElement* find_element(std::string_view lower_name) {
  for (const KnownElement& element : kKnownElements)
    if (element.name == lower_name) return &element;
  return nullptr;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }
bool is_html_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Code points libxml2 passes through from a numeric reference as they are.
bool is_plain_code_point(std::uint32_t cp) {
  return (cp >= 0x20 && cp < 0x7F) || (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF) || cp == '\t' || cp == '\n';
}

// Reads the reference at html[i] == '&'; appends its character and advances past it.
bool read_reference(std::string_view html, size_t& i, std::string& out) {
  const size_t semicolon = html.find(';', i + 1);
  if (semicolon == std::string_view::npos || semicolon - i > 10) return false;
  const std::string_view name = html.substr(i + 1, semicolon - i - 1);
  if (name == "amp") out += '&';
  else if (name == "lt") out += '<';
  else if (name == "gt") out += '>';
  else if (name == "quot") out += '"';
  else if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 6) return false;
    std::uint32_t cp = 0;
    for (char c : digits) {
      int digit;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (hex && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      else return false;
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(digit);
    }
    if (!is_plain_code_point(cp)) return false;
    append_utf8(out, static_cast<char32_t>(cp));
  } else if (name == "apos") {
    return false;  // not an HTML 4 entity: leave it to libxml2
  } else if (const std::optional<char32_t> cp = html_entity_code_point(name); cp && is_plain_code_point(*cp)) {
    append_utf8(out, *cp);  // libxml2 knows the same HTML 4 table
  } else {
    return false;
  }
  i = semicolon + 1;
  return true;
}

// Reads the tag at html[i] == '<' up to its '>'. Returns false for anything but a plain
// start or end tag of a known element with well-formed attributes.
struct Tag {
  const KnownElement* element = nullptr;
  bool end = false;
  bool self_closing = false;
};

// Elements in which libxml2 closes the open element when a block starts (<p>, <h1>,
// and the inline elements a block may not nest in).
bool holds_phrasing_only(const KnownElement* element) {
  return element->kind == Kind::kInline || element->name == "p" ||
         (element->name.size() == 2 && element->name[0] == 'h' && element->name[1] >= '1' && element->name[1] <= '6');
}

bool read_tag(std::string_view html, size_t& i, Tag& tag) {
  size_t p = i + 1;
  if (p < html.size() && html[p] == '/') {
    tag.end = true;
    ++p;
  }
  const size_t name_start = p;
  if (p >= html.size() || !is_alpha(html[p])) return false;
  while (p < html.size() && is_alnum(html[p])) ++p;
  std::array<char, 12> lower{};
  if (p - name_start >= lower.size()) return false;
  for (size_t k = name_start; k < p; ++k) lower[k - name_start] = static_cast<char>(html[k] | 0x20);
  tag.element = find_element(std::string_view(lower.data(), p - name_start));
  if (!tag.element) return false;
  // Attributes: name, optionally = and a quoted or bare value. A quoted value may hold '>'.
  while (p < html.size()) {
    while (p < html.size() && is_html_space(html[p])) ++p;
    if (p >= html.size()) return false;
    const char c = html[p];
    if (c == '>') {
      i = p + 1;
      return true;
    }
    if (c == '/' && p + 1 < html.size() && html[p + 1] == '>' && !tag.end) {
      tag.self_closing = true;
      i = p + 2;
      return true;
    }
    if (tag.end || !is_alpha(c)) return false;
    while (p < html.size() && (is_alnum(html[p]) || html[p] == '-' || html[p] == '_' || html[p] == ':')) ++p;
    while (p < html.size() && is_html_space(html[p])) ++p;
    if (p < html.size() && html[p] == '=') {
      ++p;
      while (p < html.size() && is_html_space(html[p])) ++p;
      if (p >= html.size()) return false;
      if (html[p] == '"' || html[p] == '\'') {
        const size_t close = html.find(html[p], p + 1);
        if (close == std::string_view::npos) return false;
        p = close + 1;
      } else {
        const size_t start = p;
        while (p < html.size() && !is_html_space(html[p]) && html[p] != '>' && html[p] != '"' &&
               html[p] != '\'' && html[p] != '<' && html[p] != '=' && html[p] != '`')
          ++p;
        if (p == start) return false;
      }
      if (p < html.size() && !is_html_space(html[p]) && html[p] != '>' && html[p] != '/') return false;
    }
  }
  return false;
}

// Length of the well-formed UTF-8 sequence (of two bytes or more) at the start of `s`, or
// 0 (overlongs, surrogates, values past U+10FFFF, truncation).
size_t utf8_sequence_length(std::string_view s) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = b(0);
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  return n;
}

// Whether `text` starts with "</name" followed by white space or '>', in any case; sets
// `end` past that '>'.
bool at_end_tag(std::string_view text, std::string_view name, size_t& end) {
  if (text.size() < name.size() + 3 || text[0] != '<' || text[1] != '/') return false;
  for (size_t k = 0; k < name.size(); ++k)
    if ((text[2 + k] | 0x20) != name[k]) return false;
  size_t p = 2 + name.size();
  while (p < text.size() && is_html_space(text[p])) ++p;
  if (p >= text.size() || text[p] != '>') return false;
  end = p + 1;
  return true;
}

// Skips what follows the start tag of a dropped element, up to and including its end tag.
// libxml2 (in recover mode) reads script and style as raw text up to the first "</script"
// or "</style"; an iframe is taken only when empty, since its content is parsed as HTML.
bool skip_dropped(std::string_view html, size_t& i, std::string_view name) {
  if (name == "iframe") {
    while (i < html.size() && is_html_space(html[i])) ++i;
    size_t end = 0;
    if (!at_end_tag(html.substr(i), name, end)) return false;
    i += end;
    return true;
  }
  for (size_t p = html.find("</", i); p != std::string_view::npos; p = html.find("</", p + 1)) {
    const std::string_view rest = html.substr(p + 2);
    if (rest.size() < name.size()) return false;
    bool same = true;
    for (size_t k = 0; k < name.size() && same; ++k) same = (rest[k] | 0x20) == name[k];
    if (!same) continue;
    size_t end = 0;
    if (!at_end_tag(html.substr(p), name, end)) return false;  // "</scriptx>": leave it to libxml2
    i = p + end;
    return true;
  }
  return false;
}

}  // namespace

bool strip_simple_html(std::string_view html, std::string& out) {
  std::vector<const KnownElement*> open;
  size_t inline_depth = 0;  // open inline elements, paragraphs, headings: no block may start inside
  size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      Tag tag;
      if (!read_tag(html, i, tag)) return false;
      const Kind kind = tag.element->kind;
      const bool block = kind == Kind::kBlock || kind == Kind::kVoidBlock;
      if (kind == Kind::kDropped) {
        // Outside paragraphs, inline elements and lists libxml2 closes nothing for them.
        if (tag.end || tag.self_closing || inline_depth > 0) return false;
        if (!open.empty() && (open.back()->name == "ul" || open.back()->name == "ol")) return false;
        if (!skip_dropped(html, i, tag.element->name)) return false;
        continue;
      }
      if (tag.end) {
        if (kind == Kind::kVoidBlock || kind == Kind::kVoidInline) return false;
        if (open.empty() || open.back() != tag.element) return false;
        open.pop_back();
        if (holds_phrasing_only(tag.element)) --inline_depth;
      } else {
        // <br> closes nothing in libxml2; every other block closes a paragraph or heading.
        if (block && inline_depth > 0 && tag.element->name != "br") return false;
        // libxml2 lets <ul> or <ol> close the other one, <pre> close <ul>, ...: inside a
        // list only items are sure to stay where they are written.
        if (!open.empty() && (open.back()->name == "ul" || open.back()->name == "ol") && tag.element->name != "li")
          return false;
        if (tag.self_closing && (kind == Kind::kBlock || kind == Kind::kInline)) {
          // libxml2 reads <span/> as an empty element, the XML way.
        } else if (kind == Kind::kBlock || kind == Kind::kInline) {
          if (tag.element->name == "a" &&
              std::find(open.begin(), open.end(), tag.element) != open.end())
            return false;  // libxml2 closes the outer <a>
          if (tag.element->name == "li" && (open.empty() || (open.back()->name != "ul" && open.back()->name != "ol")))
            return false;
          if (open.size() >= 64) return false;  // the sanitiser unwraps deep elements
          open.push_back(tag.element);
          if (holds_phrasing_only(tag.element)) ++inline_depth;
        }
      }
      if (block) out += ' ';
      continue;
    }
    if (c == '&') {
      if (!read_reference(html, i, out)) return false;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      // Copied only when well-formed, and not U+FFFE or U+FFFF, which libxml2 reports.
      const size_t length = utf8_sequence_length(html.substr(i));
      if (length == 0) return false;
      if (length == 3 && byte == 0xEF && html[i + 1] == '\xBF' && (html[i + 2] == '\xBE' || html[i + 2] == '\xBF'))
        return false;
      out.append(html.data() + i, length);
      i += length;
      continue;
    }
    if (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
    // A run of plain ASCII text is copied at once.
    size_t end = i + 1;
    while (end < html.size()) {
      const auto b = static_cast<unsigned char>(html[end]);
      if (b >= 0x80 || b == '<' || b == '&' || (b < 0x20 && b != '\t' && b != '\n' && b != '\r')) break;
      ++end;
    }
    out.append(html.data() + i, end - i);
    i = end;
  }
  return open.empty();
}


}  // namespace feedd::parse
