#include "parse/text.hpp"

#include <cctype>
#include <cstdint>
#include <cstring>

#include "parse/utf8_ssse3.hpp"

namespace feedd::parse {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 if it is ill-formed
// (the Unicode "maximal subpart" rules reduced to what matters: reject overlongs,
// surrogates and values past U+10FFFF).
size_t sequence_length(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i)
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  return n;
}

}  // namespace

void append_utf8(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacement;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

bool is_valid_utf8_scalar(std::string_view text) {
  // The rules of sequence_length, inlined.
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  const auto continuation = [&](size_t k) { return (p[k] & 0xC0) == 0x80; };
  constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
  for (size_t i = 0; i < size;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      // Eight ASCII bytes at once where there are eight; else one (text between
      // multi-byte characters is mostly a space or a punctuation mark).
      std::uint64_t word;
      if (i + 8 <= size && (std::memcpy(&word, p + i, sizeof word), (word & kHighBits) == 0)) {
        i += 8;
      } else {
        ++i;
      }
    } else if (c >= 0xC2 && c <= 0xDF) {
      // A word of Cyrillic, Greek, ... is a run of two-byte sequences: one tight loop.
      do {
        if (i + 1 >= size || !continuation(i + 1)) return false;
        i += 2;
      } while (i < size && p[i] >= 0xC2 && p[i] <= 0xDF);
    } else if (c >= 0xE0 && c <= 0xEF) {
      // Chinese and Japanese text: runs of three-byte sequences.
      do {
        const unsigned char lead = p[i];
        if (i + 2 >= size || !continuation(i + 2)) return false;
        const unsigned char c1 = p[i + 1];
        if (c1 < (lead == 0xE0 ? 0xA0 : 0x80) || c1 > (lead == 0xED ? 0x9F : 0xBF)) return false;
        i += 3;
      } while (i < size && p[i] >= 0xE0 && p[i] <= 0xEF);
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (i + 3 >= size || !continuation(i + 2) || !continuation(i + 3)) return false;
      const unsigned char c1 = p[i + 1];
      if (c1 < (c == 0xF0 ? 0x90 : 0x80) || c1 > (c == 0xF4 ? 0x8F : 0xBF)) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

#if defined(__x86_64__) && defined(__GNUC__)
using namespace utf8_ssse3;

FEEDD_SSSE3 bool is_valid_utf8_ssse3(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  __m128i previous = _mm_setzero_si128(), errors = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i input = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // All ASCII after a complete sequence: nothing to check (the lookups would find
    // an unfinished sequence of the block before, so only skip after a clean one).
    if (_mm_movemask_epi8(input) == 0 && _mm_movemask_epi8(_mm_or_si128(previous, errors)) == 0) {
      previous = input;
      continue;
    }
    errors = _mm_or_si128(errors, block_errors(input, previous));
    previous = input;
  }
  // The tail, padded with NULs (ASCII), then one block of NULs: a sequence cut short at
  // the end meets ASCII where its continuation should be.
  alignas(16) unsigned char tail[16] = {};
  if (text.size() > i) std::memcpy(tail, p + i, text.size() - i);
  const __m128i last = _mm_load_si128(reinterpret_cast<const __m128i*>(tail));
  errors = _mm_or_si128(errors, block_errors(last, previous));
  errors = _mm_or_si128(errors, block_errors(_mm_setzero_si128(), last));
  return _mm_movemask_epi8(_mm_cmpeq_epi8(errors, _mm_setzero_si128())) == 0xFFFF;
}
#endif

}  // namespace

bool is_valid_utf8(std::string_view text) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool ssse3 = __builtin_cpu_supports("ssse3");
  if (ssse3) return is_valid_utf8_ssse3(text);
#endif
  return is_valid_utf8_scalar(text);
}

std::string to_valid_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size();) {
    const size_t n = sequence_length(text.substr(i));
    if (n == 0) {
      append_utf8(out, kReplacement);
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

size_t utf8_cut(std::string_view text, size_t limit) {
  if (text.size() <= limit) return text.size();
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

std::string to_valid_text(std::string_view text) {
  std::string out = to_valid_utf8(text);
  for (size_t at = out.find('\0'); at != std::string::npos; at = out.find('\0', at + 3))
    out.replace(at, 1, "\xEF\xBF\xBD");
  return out;
}

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool nbsp = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0;
    if (is_space(c) || nbsp) {
      pending_space = true;
      if (nbsp) ++i;
      continue;
    }
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += static_cast<char>(c);
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && is_space(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string escape_stray_angle_brackets(std::string_view text) {
  const size_t last_close = text.rfind('>');
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '<') {
      out += text[i];
      continue;
    }
    const char next = i + 1 < text.size() ? text[i + 1] : ' ';
    const bool opens_tag = std::isalpha(static_cast<unsigned char>(next)) || next == '/' || next == '!' || next == '?';
    out += opens_tag && last_close != std::string_view::npos && last_close > i ? "<" : "&lt;";
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string to_lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace feedd::parse
