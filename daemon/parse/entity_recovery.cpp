#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "parse/html_entities.hpp"
#include "parse/reference_sse2.hpp"
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
// document_scan.cpp finds them the same way: keep them in step.
constexpr Opaque kOpaque[] = {{"<![CDATA[", "]]>"}, {"<!--", "-->"}, {"<?", "?>"}};

// Bytes the pass must look at; everything else is copied (or skipped over) in bulk.
constexpr std::array<bool, 256> kInteresting = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = is_forbidden_control(static_cast<unsigned char>(c));
  table['&'] = table['<'] = true;
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

// Where the next byte kInteresting marks is, from `j` on (or the end): sixteen bytes at a
// time where SSE2 is there (every x86-64), since this scan runs over every document.
size_t next_interesting(std::string_view xml, size_t j) {
#ifdef __SSE2__
  const __m128i amp = _mm_set1_epi8('&'), lt = _mm_set1_epi8('<'), top_control = _mm_set1_epi8(0x1F);
  const __m128i tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  const __m128i bang = _mm_set1_epi8('!'), question = _mm_set1_epi8('?');
  while (j + 17 <= xml.size()) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xml.data() + j));
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xml.data() + j + 1));
    const __m128i control = _mm_andnot_si128(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, cr)),
        _mm_cmpeq_epi8(_mm_max_epu8(v, top_control), top_control));
    // Only "<!" and "<?" can open a section; an ordinary tag is copied like text.
    const __m128i section = _mm_and_si128(_mm_cmpeq_epi8(v, lt),
                                          _mm_or_si128(_mm_cmpeq_epi8(next, bang), _mm_cmpeq_epi8(next, question)));
    const int mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, amp), section), control));
    if (mask != 0) {
      // Escaped HTML is mostly &lt; and &gt;: where there is room to look ahead, pass over them.
      unsigned stops = static_cast<unsigned>(mask);
      if (j + reference_sse2::kUsualReferencesReach <= xml.size())
        stops &= ~reference_sse2::usual_references(reinterpret_cast<const unsigned char*>(xml.data() + j));
      if (stops != 0) return j + static_cast<size_t>(__builtin_ctz(stops));
    }
    j += 16;
  }
#endif
  while (j < xml.size() && !kInteresting[static_cast<unsigned char>(xml[j])]) ++j;
  return j;
}

// The first forbidden control character in xml[from, to), or `to`.
size_t next_control(std::string_view xml, size_t from, size_t to) {
#ifdef __SSE2__
  const __m128i top_control = _mm_set1_epi8(0x1F);
  const __m128i tab = _mm_set1_epi8('\t'), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  while (from + 16 <= to) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(xml.data() + from));
    const __m128i control = _mm_andnot_si128(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, cr)),
        _mm_cmpeq_epi8(_mm_max_epu8(v, top_control), top_control));
    if (const int mask = _mm_movemask_epi8(control); mask != 0)
      return from + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    from += 16;
  }
#endif
  while (from < to && !is_forbidden_control(static_cast<unsigned char>(xml[from]))) ++from;
  return from;
}

class Cleaner {
 public:
  Cleaner(std::string_view xml, std::vector<std::string>& warnings) : xml_(xml), warnings_(warnings) {}

  // The cleaned text, or nullopt when it equals the input.
  std::optional<std::string> run() {
    size_t i = 0;
    while (i < xml_.size()) {
      i = next_interesting(xml_, i);
      if (i >= xml_.size()) break;
      const char c = xml_[i];
      if (c == '<') {
        i = copy_opaque_or_char(i);
      } else if (c == '&') {
        i = reference(i);
      } else {  // a forbidden control character
        ++controls_;
        replace(i, 1, "");
        ++i;
      }
    }
    if (controls_ > 0) warnings_.push_back(std::to_string(controls_) + " control character(s) removed");
    if (bare_ > 0)
      warnings_.push_back("line " + std::to_string(line_at(first_bare_)) + ": " + std::to_string(bare_) +
                          " bare '&' escaped");
    if (!changed_) return std::nullopt;
    out_.append(xml_.substr(kept_));
    return std::move(out_);
  }

 private:
  // What is kept is copied only when a replacement follows it (or at the end), in one
  // run: until the first change nothing is copied at all, and after it a run of text
  // and references costs one append.
  // Writes `text` in place of the `length` bytes of input at `at`.
  void replace(size_t at, size_t length, std::string_view text) {
    if (!changed_) {
      out_.reserve(xml_.size() + 64);
      changed_ = true;
    }
    out_.append(xml_.substr(kept_, at - kept_));
    out_ += text;
    kept_ = at + length;
  }

  // Lines are counted only for a warning (at most a few dozen per document), not on the
  // way: the scan stops at '<' and '&' only.
  size_t line_at(size_t at) const {
    return 1 + static_cast<size_t>(std::count(xml_.begin(), xml_.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
  }

  size_t copy_opaque_or_char(size_t i) {
    // Every section opens with "<!" or "<?"; a tag takes no comparisons.
    if (i + 1 >= xml_.size() || (xml_[i + 1] != '!' && xml_[i + 1] != '?')) return i + 1;
    for (const Opaque& section : kOpaque) {
      if (xml_.substr(i, section.open.size()) != section.open) continue;
      size_t end = xml_.find(section.close, i + section.open.size());
      end = end == std::string_view::npos ? xml_.size() : end + section.close.size();
      for (size_t k = next_control(xml_, i, end); k < end; k = next_control(xml_, k + 1, end)) {
        ++controls_;
        replace(k, 1, "");
      }
      return end;
    }
    return i + 1;
  }

  void bare_ampersand(size_t at) {
    if (bare_++ == 0) first_bare_ = at;
    replace(at, 1, "&amp;");
  }

  size_t reference(size_t i) {
    const std::string_view rest = xml_.substr(i);
    // The references escaped HTML is made of, before the general case.
    for (std::string_view common : {"&lt;", "&gt;", "&amp;", "&quot;"}) {
      if (rest.substr(0, common.size()) == common) return i + common.size();
    }
    if (rest.size() > 2 && rest[1] == '#') {
      std::optional<char32_t> value;
      const size_t length = numeric_reference(rest, value);
      if (length == 0) {
        bare_ampersand(i);
        return i + 1;
      }
      if (!value || !xml_allows(*value)) {
        replace(i, length, "&#xFFFD;");
        if (++bad_numeric_ == 1)
          warnings_.push_back("line " + std::to_string(line_at(i)) + ": reference " + std::string(rest.substr(0, length)) +
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
    if (is_xml_predefined(name)) return i + j + 1;
    const auto code_point = html_entity_code_point(name);
    if (!code_point) {
      bare_ampersand(i);  // "&foo;" stays visible as written
      return i + 1;
    }
    replace(i, j + 1, "&#" + std::to_string(static_cast<unsigned long>(*code_point)) + ";");
    if (reported_.size() < kMaxEntityWarnings && reported_.insert(std::string(name)).second)
      warnings_.push_back("line " + std::to_string(line_at(i)) + ": undefined entity &" + std::string(name) +
                          "; recovered");
    return i + j + 1;
  }

  std::string_view xml_;
  std::vector<std::string>& warnings_;
  std::string out_;
  std::set<std::string, std::less<>> reported_;
  size_t controls_ = 0;
  size_t bare_ = 0;
  size_t first_bare_ = 0;  // where the first bare '&' is
  size_t bad_numeric_ = 0;
  size_t kept_ = 0;  // input before this is in out_ (or, before the first change, needs no copy)
  bool changed_ = false;
};

}  // namespace

size_t kept_reference_length(std::string_view text) {
  if (text.size() < 3 || text[0] != '&') return 0;
  if (text[1] == '#') {
    std::optional<char32_t> value;
    const size_t length = numeric_reference(text, value);
    return length > 0 && value && xml_allows(*value) ? length : 0;
  }
  size_t j = 1;
  while (j < text.size() && j <= 32 && is_name_char(text[j])) ++j;
  if (j >= text.size() || text[j] != ';' || !is_xml_predefined(text.substr(1, j - 1))) return 0;
  return j + 1;
}

std::optional<std::string> clean_xml_text(std::string_view xml, std::vector<std::string>& warnings) {
  if (!needs_cleaning(xml)) return std::nullopt;
  return Cleaner(xml, warnings).run();
}

}  // namespace feedd::parse
