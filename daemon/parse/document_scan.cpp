#include "parse/document_scan.hpp"

#include <cstdint>
#include <cstring>
#include <utility>

#include "parse/html_entities.hpp"
#include "parse/reference_sse2.hpp"
#include "parse/text.hpp"
#include "parse/utf8_ssse3.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace feedd::parse {
namespace {

constexpr bool is_forbidden_control(unsigned char c) { return c < 0x20 && c != '\t' && c != '\n' && c != '\r'; }

// Where clean_xml_text's opaque sections are (CDATA, comments, processing instructions:
// it leaves their '&' alone), found from the start the way it finds them, and only as
// far as asked: most documents never ask, and a feed with HTML in CDATA asks about the
// '&nbsp;' and '&&' in it.
class Sections {
 public:
  explicit Sections(std::string_view text) : text_(text) {}

  // Whether the '&' at `at` is inside a section; `at` must grow from call to call.
  bool contain(size_t at) {
    while (true) {
      if (at >= begin_ && at < end_) return true;
      if (at < cursor_) return false;
      const size_t open = text_.find('<', cursor_);
      if (open == std::string_view::npos || open > at) {
        cursor_ = open == std::string_view::npos ? text_.size() : open;
        return false;
      }
      cursor_ = open + 1;
      if (open + 1 >= text_.size() || (text_[open + 1] != '!' && text_[open + 1] != '?')) continue;
      for (const auto& [opening, closing] : kOpaque) {
        if (text_.substr(open, opening.size()) != opening) continue;
        const size_t close = text_.find(closing, open + opening.size());
        begin_ = open;
        end_ = close == std::string_view::npos ? text_.size() : close + closing.size();
        cursor_ = end_;
        break;
      }
    }
  }

 private:
  // entity_recovery.cpp's kOpaque: keep them in step.
  static constexpr std::pair<std::string_view, std::string_view> kOpaque[] = {
      {"<![CDATA[", "]]>"}, {"<!--", "-->"}, {"<?", "?>"}};
  std::string_view text_;
  size_t cursor_ = 0;  // text before it is read: outside [begin_, end_) it is outside any section
  size_t begin_ = 0, end_ = 0;  // the last section found
};

// Whether the '&' at `at` is one clean_xml_text leaves as it is.
bool kept_ampersand(std::string_view text, size_t at, Sections& sections) {
  return kept_reference_length(text.substr(at)) > 0 || sections.contain(at);
}

// Whether clean_xml_text has work in `text` from `from` on, one byte at a time.
bool may_need_cleaning_scalar(std::string_view text, size_t from, Sections& sections) {
  for (size_t i = from; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_forbidden_control(c)) return true;
    if (c == '&' && !kept_ampersand(text, i, sections)) return true;
  }
  return false;
}

#if defined(__x86_64__) && defined(__GNUC__)
using namespace utf8_ssse3;

FEEDD_SSSE3 __m128i load(const unsigned char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// Indexed by a byte's low nibble: the byte itself where it is one of the controls XML
// allows (tab, newline, carriage return), else 0x80, which no byte looked up by that
// nibble equals (the lookup gives 0 for a byte with its top bit set).
alignas(16) constexpr std::uint8_t kAllowedControl[16] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                                          0x80, '\t', '\n', 0x80, 0x80, '\r', 0x80, 0x80};

// The bytes XML forbids: below 0x20 but tab, newline and carriage return (one lookup
// and compare for the three allowed ones: they are in nearly every block).
FEEDD_SSSE3 __m128i forbidden_controls(__m128i v) {
  const __m128i top = _mm_set1_epi8(0x1F);
  const __m128i allowed =
      _mm_cmpeq_epi8(_mm_shuffle_epi8(_mm_load_si128(reinterpret_cast<const __m128i*>(kAllowedControl)), v), v);
  return _mm_andnot_si128(allowed, _mm_cmpeq_epi8(_mm_max_epu8(v, top), top));
}

// Both questions in one pass of 16 bytes at a time: the UTF-8 lookups (utf8_ssse3.hpp)
// only where a block or the one before has a byte past ASCII, the cleaning checks until
// the first thing cleaning would change; an unusual '&' (&#8217;, &apos;, a bare one) is
// looked at one by one.
FEEDD_SSSE3 DocumentScan scan_ssse3(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  __m128i previous = _mm_setzero_si128(), errors = _mm_setzero_si128();
  bool clean = true;
  Sections sections(text);
  size_t i = 0;
  for (; i + 16 <= size; i += 16) {
    const __m128i input = load(p + i);
    if ((_mm_movemask_epi8(input) | _mm_movemask_epi8(previous)) != 0)
      errors = _mm_or_si128(errors, block_errors(input, previous));
    previous = input;
    if (!clean) continue;
    if (_mm_movemask_epi8(forbidden_controls(input)) != 0) {
      clean = false;
      continue;
    }
    unsigned amps = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(input, _mm_set1_epi8('&'))));
    if (amps == 0) continue;
    // Too near the end to look ahead: each '&' the slow way.
    if (i + reference_sse2::kUsualReferencesReach <= size) amps &= ~reference_sse2::usual_references(p + i);
    for (; amps != 0 && clean; amps &= amps - 1)
      clean = kept_ampersand(text, i + static_cast<size_t>(__builtin_ctz(amps)), sections);
  }
  // The tail, padded with NULs (ASCII), then one block of NULs: a sequence cut short at
  // the end meets ASCII where its continuation should be.
  alignas(16) unsigned char tail[16] = {};
  if (size > i) std::memcpy(tail, p + i, size - i);
  const __m128i last = _mm_load_si128(reinterpret_cast<const __m128i*>(tail));
  errors = _mm_or_si128(errors, block_errors(last, previous));
  errors = _mm_or_si128(errors, block_errors(_mm_setzero_si128(), last));
  if (clean) clean = !may_need_cleaning_scalar(text, i, sections);
  const bool valid = _mm_movemask_epi8(_mm_cmpeq_epi8(errors, _mm_setzero_si128())) == 0xFFFF;
  return {valid, !clean};
}

// The same on 32 bytes at a time, for the machines that have AVX2 (most x86-64 since
// 2013): the validation is most of the scan's work, and this halves its instructions.
#define FEEDD_AVX2 __attribute__((target("avx2")))
#define FEEDD_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

FEEDD_AVX2_INLINE __m256i lookup32(const std::uint8_t (&table)[16], __m256i nibbles) {
  return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table))),
                             nibbles);
}

FEEDD_AVX2_INLINE __m256i high_nibbles32(__m256i v) { return _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0F)); }

// block_errors (utf8_ssse3.hpp) on 32 bytes: the bytes before each one come from across
// the two 128-bit lanes.
FEEDD_AVX2_INLINE __m256i block_errors32(__m256i input, __m256i previous) {
  const __m256i before = _mm256_permute2x128_si256(previous, input, 0x21);
  const __m256i prev1 = _mm256_alignr_epi8(input, before, 15);
  const __m256i special = _mm256_and_si256(
      _mm256_and_si256(lookup32(kByte1High, high_nibbles32(prev1)),
                       lookup32(kByte1Low, _mm256_and_si256(prev1, _mm256_set1_epi8(0x0F)))),
      lookup32(kByte2High, high_nibbles32(input)));
  const __m256i prev2 = _mm256_alignr_epi8(input, before, 14);
  const __m256i prev3 = _mm256_alignr_epi8(input, before, 13);
  const __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8(static_cast<char>(0xE0 - 0x80)));
  const __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8(static_cast<char>(0xF0 - 0x80)));
  const __m256i must_continue =
      _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(static_cast<char>(0x80)));
  return _mm256_xor_si256(must_continue, special);
}

FEEDD_AVX2_INLINE __m256i forbidden_controls32(__m256i v) {
  const __m256i top = _mm256_set1_epi8(0x1F);
  const __m256i allowed = _mm256_cmpeq_epi8(lookup32(kAllowedControl, v), v);
  return _mm256_andnot_si256(allowed, _mm256_cmpeq_epi8(_mm256_max_epu8(v, top), top));
}

FEEDD_AVX2_INLINE __m256i equals32(__m256i v, char c) { return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c)); }

FEEDD_AVX2_INLINE __m256i load32(const unsigned char* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// reference_sse2::usual_references on 32 bytes: reads p[0, 37).
FEEDD_AVX2_INLINE std::uint32_t usual_references32(const unsigned char* p) {
  const __m256i v1 = load32(p + 1), v2 = load32(p + 2), v3 = load32(p + 3), v4 = load32(p + 4), v5 = load32(p + 5);
  const __m256i lt_gt = _mm256_and_si256(
      _mm256_and_si256(_mm256_or_si256(equals32(v1, 'l'), equals32(v1, 'g')), equals32(v2, 't')), equals32(v3, ';'));
  const __m256i amp = _mm256_and_si256(_mm256_and_si256(equals32(v1, 'a'), equals32(v2, 'm')),
                                       _mm256_and_si256(equals32(v3, 'p'), equals32(v4, ';')));
  const __m256i quot = _mm256_and_si256(_mm256_and_si256(_mm256_and_si256(equals32(v1, 'q'), equals32(v2, 'u')),
                                                         _mm256_and_si256(equals32(v3, 'o'), equals32(v4, 't'))),
                                        equals32(v5, ';'));
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(lt_gt, amp), quot)));
}

constexpr size_t kUsualReferencesReach32 = 37;

// Whether the cleaner leaves the 32 bytes `input` at text[i] alone (controls and '&').
FEEDD_AVX2 bool block_clean32(std::string_view text, size_t i, __m256i input, Sections& sections) {
  if (_mm256_movemask_epi8(forbidden_controls32(input)) != 0) return false;
  auto amps = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(input, _mm256_set1_epi8('&'))));
  if (amps != 0 && i + kUsualReferencesReach32 <= text.size())
    amps &= ~usual_references32(reinterpret_cast<const unsigned char*>(text.data()) + i);
  for (; amps != 0; amps &= amps - 1)
    if (!kept_ampersand(text, i + static_cast<size_t>(__builtin_ctz(amps)), sections)) return false;
  return true;
}

// 64 bytes a turn: the validation without a branch (most blocks of a feed in Russian or
// Chinese, and many in English with curly quotes, are not ASCII), and one test for
// "anything the cleaner might care about" in all 64.
FEEDD_AVX2 DocumentScan scan_avx2(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  __m256i previous = _mm256_setzero_si256(), errors = _mm256_setzero_si256();
  bool clean = true;
  Sections sections(text);
  size_t i = 0;
  const __m256i amp = _mm256_set1_epi8('&');
  for (; i + 64 <= size; i += 64) {
    const __m256i first = load32(p + i), second = load32(p + i + 32);
    errors = _mm256_or_si256(errors, _mm256_or_si256(block_errors32(first, previous), block_errors32(second, first)));
    previous = second;
    if (!clean) continue;
    // Newlines are everywhere: the controls must be told from them here, not after.
    const __m256i controls = _mm256_or_si256(forbidden_controls32(first), forbidden_controls32(second));
    const __m256i amps = _mm256_or_si256(_mm256_cmpeq_epi8(first, amp), _mm256_cmpeq_epi8(second, amp));
    const __m256i maybe = _mm256_or_si256(controls, amps);
    if (_mm256_testz_si256(maybe, maybe)) continue;
    clean = block_clean32(text, i, first, sections) && block_clean32(text, i + 32, second, sections);
  }
  for (; i + 32 <= size; i += 32) {
    const __m256i input = load32(p + i);
    errors = _mm256_or_si256(errors, block_errors32(input, previous));
    previous = input;
    if (clean) clean = block_clean32(text, i, input, sections);
  }
  alignas(32) unsigned char tail[32] = {};
  if (size > i) std::memcpy(tail, p + i, size - i);
  const __m256i last = _mm256_load_si256(reinterpret_cast<const __m256i*>(tail));
  errors = _mm256_or_si256(errors, block_errors32(last, previous));
  errors = _mm256_or_si256(errors, block_errors32(_mm256_setzero_si256(), last));
  if (clean) clean = !may_need_cleaning_scalar(text, i, sections);
  return {_mm256_testz_si256(errors, errors) != 0, !clean};
}
#endif

}  // namespace

DocumentScan scan_document(std::string_view text, ScanKernel kernel) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  static const bool ssse3 = __builtin_cpu_supports("ssse3");
  if (avx2 && (kernel == ScanKernel::kBest || kernel == ScanKernel::kAvx2)) return scan_avx2(text);
  if (ssse3 && kernel != ScanKernel::kScalar) return scan_ssse3(text);
#endif
  Sections sections(text);
  return {is_valid_utf8(text), may_need_cleaning_scalar(text, 0, sections)};
}

}  // namespace feedd::parse
