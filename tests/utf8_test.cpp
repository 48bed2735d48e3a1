// The UTF-8 check every document and field goes through (parse/text.hpp), held to the
// Unicode table of well-formed sequences (Unicode 15, table 3-7) byte string by byte
// string: documents are read as UTF-8 or not by its answer.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "parse/text.hpp"

namespace {

// Table 3-7, written out the plain way.
bool reference_valid(std::string_view s) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = b(i);
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c <= 0x7F) n = 1;
    else if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else return false;
    if (i + n > s.size()) return false;
    if (n > 1 && (b(i + 1) < lo || b(i + 1) > hi)) return false;
    for (size_t k = 2; k < n; ++k)
      if (b(i + k) < 0x80 || b(i + k) > 0xBF) return false;
    i += n;
  }
  return true;
}

}  // namespace

TEST_CASE("Every malformed UTF-8 sequence is found wherever it sits in a document", "[utf8]") {
  const std::vector<std::string> pieces = {
      "a", "\xC3\xA9", "\xE2\x80\x9C", "\xF0\x9F\x98\x80", "\xE4\xB8\xAD",      // well-formed
      "\xC0\xAF", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xF0\x8F\xBF\xBF",  // overlong, surrogate
      "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\x80", "\xBF",             // too large, stray
      "\xC3", "\xE2\x80", "\xF0\x9F\x98",                                         // cut short
      "\xEF\xBF\xBF", "\xF4\x8F\xBF\xBF", "\xED\x9F\xBF", "\xEE\x80\x80"};        // edges that are fine
  // Each piece after every amount of ASCII up to two blocks of 16, and before more text.
  for (const std::string& piece : pieces) {
    for (size_t before = 0; before < 40; ++before) {
      for (const std::string& after : {std::string(), std::string("b"), std::string(20, 'c'), std::string("\xC3\xA9")}) {
        const std::string text = std::string(before, 'x') + piece + after;
        INFO("piece of " << piece.size() << " bytes after " << before << " ASCII bytes, then " << after.size());
        CHECK(feedd::parse::is_valid_utf8(text) == reference_valid(text));
      }
    }
  }
}

TEST_CASE("Random bytes are judged UTF-8 exactly as the Unicode table judges them", "[utf8]") {
  std::mt19937 random(20261202);
  // Bytes drawn mostly from the lead and continuation ranges, so that many strings are
  // well-formed and the rest fail in every way there is.
  const std::vector<unsigned char> alphabet = {'a',  ' ',  '<',  0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC2,
                                               0xC3, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5,
                                               0xC0, 0xFF, 0x00, 0x7F};
  size_t valid = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    const size_t length = random() % 70;
    for (size_t k = 0; k < length; ++k) text += static_cast<char>(alphabet[random() % alphabet.size()]);
    // Also as runs of well-formed text with one random byte changed.
    if (n % 2 == 1) {
      text = std::string(random() % 33, 'a') + "\xD0\xBF\xD1\x80\xD0\xB8 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80!";
      if (random() % 3 != 0) text[random() % text.size()] = static_cast<char>(alphabet[random() % alphabet.size()]);
    }
    const bool expected = reference_valid(text);
    valid += expected;
    INFO("string " << n);
    REQUIRE(feedd::parse::is_valid_utf8(text) == expected);
  }
  CHECK(valid > 2000);
}
