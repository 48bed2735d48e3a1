#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>

#include "parse/html_entities.hpp"
#include "parse/text.hpp"

namespace feedd::parse {
namespace {

constexpr size_t kMaxEntityWarnings = 20;

bool is_xml_predefined(std::string_view name) {
  return name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos";
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// C0 controls XML 1.0 forbids (everything below 0x20 but tab, newline, carriage return).
constexpr bool is_forbidden_control(unsigned char c) { return c < 0x20 && c != '\t' && c != '\n' && c != '\r'; }

bool xml_allows(char32_t cp) {
  if (cp == 0x9 || cp == 0xA || cp == 0xD) return true;
  if (cp < 0x20 || cp > 0x10FFFF) return false;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  return cp != 0xFFFE && cp != 0xFFFF;
}

// Sections whose `&` is not a reference: copied through untouched.
struct Opaque {
  std::string_view open;
  std::string_view close;
};
constexpr Opaque kOpaque[] = {{"<![CDATA[", "]]>"}, {"<!--", "-->"}, {"<?", "?>"}};

// Bytes the pass must look at; everything else is copied (or skipped over) in bulk.
constexpr std::array<bool, 256> kInteresting = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = is_forbidden_control(static_cast<unsigned char>(c));
  table['&'] = table['<'] = table['\n'] = true;
  return table;
}();

bool needs_cleaning(std::string_view xml) {
  for (char c : xml) {
    const auto b = static_cast<unsigned char>(c);
    if (b == '&' || is_forbidden_control(b)) return true;
  }
  return false;
}

// A numeric reference "&#...;" at the start of `text`: its length and code point
// (nullopt for the value when it overflows). 0 when `text` is not one.
size_t numeric_reference(std::string_view text, std::optional<char32_t>& value) {
  size_t i = 2;
  const bool hex = i < text.size() && (text[i] == 'x' || text[i] == 'X');
  if (hex) ++i;
  const size_t digits_start = i;
  std::uint64_t v = 0;
  bool overflow = false;
  while (i < text.size() && (hex ? std::isxdigit(static_cast<unsigned char>(text[i]))
                                 : std::isdigit(static_cast<unsigned char>(text[i])))) {
    const int d = std::isdigit(static_cast<unsigned char>(text[i])) ? text[i] - '0'
                                                                    : (std::tolower(text[i]) - 'a' + 10);
    v = v * (hex ? 16 : 10) + d;
    if (v > 0x10FFFF) overflow = true, v = 0x110000;
    ++i;
  }
  if (i == digits_start || i >= text.size() || text[i] != ';') return 0;
  value = overflow ? std::nullopt : std::optional<char32_t>(static_cast<char32_t>(v));
  return i + 1;
}

class Cleaner {
 public:
  Cleaner(std::string_view xml, std::vector<std::string>& warnings) : xml_(xml), warnings_(warnings) {}

  // The cleaned text, or nullopt when it equals the input.
  std::optional<std::string> run() {
    size_t i = 0;
    while (i < xml_.size()) {
      size_t j = i;
      while (j < xml_.size() && !kInteresting[static_cast<unsigned char>(xml_[j])]) ++j;
      keep(i, j);
      i = j;
      if (i >= xml_.size()) break;
      const char c = xml_[i];
      if (c == '\n') {
        ++line_;
        keep(i, i + 1);
        ++i;
      } else if (c == '<') {
        i = copy_opaque_or_char(i);
      } else if (c == '&') {
        i = reference(i);
      } else {  // a forbidden control character
        ++controls_;
        replace(i, "");
        ++i;
      }
    }
    if (controls_ > 0) warnings_.push_back(std::to_string(controls_) + " control character(s) removed");
    if (bare_ > 0)
      warnings_.push_back("line " + std::to_string(first_bare_line_) + ": " + std::to_string(bare_) +
                          " bare '&' escaped");
    if (!changed_) return std::nullopt;
    return std::move(out_);
  }

 private:
  // Until the first change the output is the input's prefix, so nothing is copied: the
  // common document, with only standard references, costs one scan.
  void keep(size_t from, size_t to) {
    if (changed_) out_.append(xml_.substr(from, to - from));
  }

  // Writes `text` in place of input that starts at `at`.
  void replace(size_t at, std::string_view text) {
    if (!changed_) {
      out_.reserve(xml_.size() + 64);
      out_.assign(xml_.substr(0, at));
      changed_ = true;
    }
    out_ += text;
  }

  size_t copy_opaque_or_char(size_t i) {
    for (const Opaque& section : kOpaque) {
      if (xml_.substr(i, section.open.size()) != section.open) continue;
      size_t end = xml_.find(section.close, i + section.open.size());
      end = end == std::string_view::npos ? xml_.size() : end + section.close.size();
      for (size_t k = i; k < end; ++k) {
        const auto b = static_cast<unsigned char>(xml_[k]);
        if (b == '\n') ++line_;
        if (is_forbidden_control(b)) {
          ++controls_;
          replace(k, "");
          continue;
        }
        keep(k, k + 1);
      }
      return end;
    }
    keep(i, i + 1);
    return i + 1;
  }

  void bare_ampersand(size_t at) {
    if (bare_++ == 0) first_bare_line_ = line_;
    replace(at, "&amp;");
  }

  size_t reference(size_t i) {
    const std::string_view rest = xml_.substr(i);
    if (rest.size() > 2 && rest[1] == '#') {
      std::optional<char32_t> value;
      const size_t length = numeric_reference(rest, value);
      if (length == 0) {
        bare_ampersand(i);
        return i + 1;
      }
      if (value && xml_allows(*value)) {
        keep(i, i + length);
      } else {
        replace(i, "&#xFFFD;");
        if (++bad_numeric_ == 1)
          warnings_.push_back("line " + std::to_string(line_) + ": reference " + std::string(rest.substr(0, length)) +
                              " to a character XML forbids replaced with U+FFFD");
      }
      return i + length;
    }
    size_t j = 1;
    while (j < rest.size() && j <= 32 && is_name_char(rest[j])) ++j;
    const std::string_view name = rest.substr(1, j - 1);
    const bool terminated = j < rest.size() && rest[j] == ';';
    if (!terminated || name.empty()) {
      bare_ampersand(i);
      return i + 1;
    }
    if (is_xml_predefined(name)) {
      keep(i, i + j + 1);
      return i + j + 1;
    }
    const auto code_point = html_entity_code_point(name);
    if (!code_point) {
      bare_ampersand(i);  // "&foo;" stays visible as written
      return i + 1;
    }
    replace(i, "&#" + std::to_string(static_cast<unsigned long>(*code_point)) + ";");
    if (reported_.size() < kMaxEntityWarnings && reported_.insert(std::string(name)).second)
      warnings_.push_back("line " + std::to_string(line_) + ": undefined entity &" + std::string(name) +
                          "; recovered");
    return i + j + 1;
  }

  std::string_view xml_;
  std::vector<std::string>& warnings_;
  std::string out_;
  std::set<std::string, std::less<>> reported_;
  size_t line_ = 1;
  size_t controls_ = 0;
  size_t bare_ = 0;
  size_t first_bare_line_ = 0;
  size_t bad_numeric_ = 0;
  bool changed_ = false;
};

}  // namespace

std::optional<std::string> clean_xml_text(std::string_view xml, std::vector<std::string>& warnings) {
  if (!needs_cleaning(xml)) return std::nullopt;
  return Cleaner(xml, warnings).run();
}

}  // namespace feedd::parse
