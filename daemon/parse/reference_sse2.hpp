#pragma once
// Finding, sixteen bytes at a time, the '&' that open the references escaped HTML is
// made of (&lt; &gt; &amp; &quot;): the scans before pugixml (document_scan.cpp,
// entity_recovery.cpp) pass over them instead of stopping at each. SSE2: every x86-64.

#ifdef __SSE2__
#include <emmintrin.h>

#include <cstddef>

namespace feedd::parse::reference_sse2 {

inline __m128i equals(__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }

inline __m128i load(const unsigned char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// Bit k set when the bytes at p + k are one of &lt; &gt; &amp; &quot;. Reads p[0, 21).
inline unsigned usual_references(const unsigned char* p) {
  const __m128i v0 = load(p), v1 = load(p + 1), v2 = load(p + 2), v3 = load(p + 3), v4 = load(p + 4),
                v5 = load(p + 5);
  const __m128i lt_gt =
      _mm_and_si128(_mm_and_si128(_mm_or_si128(equals(v1, 'l'), equals(v1, 'g')), equals(v2, 't')), equals(v3, ';'));
  const __m128i amp =
      _mm_and_si128(_mm_and_si128(equals(v1, 'a'), equals(v2, 'm')), _mm_and_si128(equals(v3, 'p'), equals(v4, ';')));
  const __m128i quot = _mm_and_si128(_mm_and_si128(_mm_and_si128(equals(v1, 'q'), equals(v2, 'u')),
                                                   _mm_and_si128(equals(v3, 'o'), equals(v4, 't'))),
                                     equals(v5, ';'));
  const __m128i usual = _mm_and_si128(equals(v0, '&'), _mm_or_si128(_mm_or_si128(lt_gt, amp), quot));
  return static_cast<unsigned>(_mm_movemask_epi8(usual));
}

inline constexpr size_t kUsualReferencesReach = 21;

}  // namespace feedd::parse::reference_sse2

#endif
