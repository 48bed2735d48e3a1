#pragma once
// The SSSE3 kernel of UTF-8 validation, shared by is_valid_utf8 (text.cpp) and the
// document scan (document_scan.cpp). x86-64 with GCC or Clang only; callers check
// __builtin_cpu_supports("ssse3") before calling anything here. The tables serve
// the AVX2 kernel of document_scan.cpp too.

#if defined(__x86_64__) && defined(__GNUC__)
#include <tmmintrin.h>

#include <cstdint>

namespace feedd::parse::utf8_ssse3 {

// The lookup algorithm of Keiser and Lemire ("Validating UTF-8 in less than one
// instruction per byte", 2021), as simdjson has it, on 16 bytes with SSSE3: three table
// lookups classify each pair of adjacent bytes, and two saturating subtractions say
// where the third and fourth bytes of a sequence must be continuations.
#define FEEDD_SSSE3 __attribute__((target("ssse3")))

inline constexpr std::uint8_t kTooShort = 1 << 0, kTooLong = 1 << 1, kOverlong3 = 1 << 2, kTooLarge = 1 << 3,
                       kSurrogate = 1 << 4, kOverlong2 = 1 << 5, kTooLarge1000 = 1 << 6, kOverlong4 = 1 << 6,
                       kTwoConts = 1 << 7;
inline constexpr std::uint8_t kCarry = kTooShort | kTooLong | kTwoConts;

FEEDD_SSSE3 inline __m128i lookup(const std::uint8_t (&table)[16], __m128i nibbles) {
  return _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(table)), nibbles);
}

FEEDD_SSSE3 inline __m128i high_nibbles(__m128i v) { return _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0F)); }

// The three lookup tables: what the high and low nibble of a byte and the high nibble
// of the byte after it say may be wrong with the pair.
inline constexpr std::uint8_t kByte1High[16] = {
    kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong,
    kTwoConts, kTwoConts, kTwoConts, kTwoConts,
    kTooShort | kOverlong2, kTooShort, kTooShort | kOverlong3 | kSurrogate,
    kTooShort | kTooLarge | kTooLarge1000 | kOverlong4};
inline constexpr std::uint8_t kByte1Low[16] = {
    kCarry | kOverlong3 | kOverlong2 | kOverlong4, kCarry | kOverlong2, kCarry, kCarry,
    kCarry | kTooLarge, kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
    kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
    kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000, kCarry | kTooLarge | kTooLarge1000,
    kCarry | kTooLarge | kTooLarge1000 | kSurrogate, kCarry | kTooLarge | kTooLarge1000,
    kCarry | kTooLarge | kTooLarge1000};
inline constexpr std::uint8_t kByte2High[16] = {
    kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,
    kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge1000 | kOverlong4,
    kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge,
    kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,
    kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,
    kTooShort, kTooShort, kTooShort, kTooShort};

// Error bits for the 16 bytes `input`, the 16 before them being `previous`.
FEEDD_SSSE3 inline __m128i block_errors(__m128i input, __m128i previous) {
  const __m128i prev1 = _mm_alignr_epi8(input, previous, 15);
  const __m128i special = _mm_and_si128(
      _mm_and_si128(lookup(kByte1High, high_nibbles(prev1)), lookup(kByte1Low, _mm_and_si128(prev1, _mm_set1_epi8(0x0F)))),
      lookup(kByte2High, high_nibbles(input)));
  const __m128i prev2 = _mm_alignr_epi8(input, previous, 14);
  const __m128i prev3 = _mm_alignr_epi8(input, previous, 13);
  const __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8(static_cast<char>(0xE0 - 0x80)));
  const __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(static_cast<char>(0xF0 - 0x80)));
  const __m128i must_continue = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
  return _mm_xor_si128(must_continue, special);
}

}  // namespace feedd::parse::utf8_ssse3

#endif
