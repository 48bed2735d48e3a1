// Near-duplicate detection: MinHash over word shingles, banded for an indexed lookup
// (locality-sensitive hashing), then an exact check of the candidates' shingles.
//
// Why this shape: the bands let the store find candidates with an index lookup whose
// cost does not grow with the number of stories, and the exact check afterwards keeps
// precision: two stories are only merged on their real shingle overlap, never on the
// estimate alone.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/dedup.hpp"
#include "feedd/sanitize.hpp"
#include "parse/simple_html.hpp"

namespace feedd::dedup {

namespace {

// Shingles of three words: long enough that shared boilerplate phrases of different
// stories are rare, short enough that one changed word spoils only three of them.
constexpr std::size_t kShingleWords = 3;
constexpr std::size_t kBands = kBandKeys;
constexpr std::size_t kRowsPerBand = 4;
constexpr std::size_t kHashes = kBands * kRowsPerBand;

// Texts shorter than this many shingles say too little to call two of them copies.
constexpr std::size_t kMinShingles = 12;

std::uint64_t fnv1a(std::string_view text, std::uint64_t seed = 0xcbf29ce484222325ull) {
  std::uint64_t hash = seed;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// splitmix64: a cheap, well-mixed permutation of 64-bit values.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Words of the normalised text: runs of letters and digits (every non-ASCII byte counts
// as a letter, so non-Latin scripts keep their words). Punctuation separates words, so a
// re-punctuated copy keeps its shingles.
// (ASCII tested by hand: std::isalnum is a call per byte that asks the locale.)
bool is_word_byte(unsigned char c) {
  return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

// The 64 minima of mix(shingle ^ seed[h]) over the set, eight lanes at a time (GCC's
// vector extension: one instruction per lane group where the CPU has AVX-512, which is
// picked at load time; plain 64-bit arithmetic elsewhere). Same results on every path:
// the keys stored by one build are found by another.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#endif
void min_hashes(const std::vector<std::uint64_t>& shingle_set, const std::uint64_t* seeds, std::uint64_t* minimum) {
  using Lanes = std::uint64_t __attribute__((vector_size(64)));
  constexpr std::size_t kLanes = sizeof(Lanes) / sizeof(std::uint64_t);
  constexpr std::size_t kGroups = kHashes / kLanes;
  Lanes seed[kGroups];
  Lanes least[kGroups];
  std::memcpy(seed, seeds, sizeof seed);
  std::memcpy(least, minimum, sizeof least);
  for (std::uint64_t shingle : shingle_set) {
    for (std::size_t g = 0; g < kGroups; ++g) {
      Lanes x = (shingle ^ seed[g]) + 0x9e3779b97f4a7c15ull;
      x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
      x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
      x ^= x >> 31;
      least[g] = x < least[g] ? x : least[g];
    }
  }
  std::memcpy(minimum, least, sizeof least);
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  out.reserve(text.size() / 6);
  std::size_t start = std::string_view::npos;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const bool word_char = i < text.size() && is_word_byte(static_cast<unsigned char>(text[i]));
    if (word_char && start == std::string_view::npos) start = i;
    if (!word_char && start != std::string_view::npos) {
      out.push_back(text.substr(start, i - start));
      start = std::string_view::npos;
    }
  }
  return out;
}

}  // namespace

std::vector<std::uint64_t> shingles(std::string_view title, std::string_view body_html) {
  // Title and text as one run of words: an edited title then changes a few shingles,
  // as any other edited sentence does.
  // The same text as the content hash's: plain markup stripped without libxml2 and
  // without collapsing white space (normalise_text folds it, and words() splits on it).
  std::string text = normalise_text(title);
  text += " \n ";
  if (std::string stripped; body_html.size() < (1 << 20) && parse::strip_simple_html(body_html, stripped))
    text += normalise_text(stripped);
  else
    text += normalise_text(html_to_text(body_html));
  const std::vector<std::string_view> all = words(text);
  std::vector<std::uint64_t> out;
  if (all.size() < kShingleWords) return out;
  out.reserve(all.size());
  for (std::size_t i = 0; i + kShingleWords <= all.size(); ++i) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (std::size_t w = 0; w < kShingleWords; ++w) {
      hash = fnv1a(all[i + w], hash);
      hash = fnv1a(" ", hash);
    }
    out.push_back(hash);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::int64_t> lsh_band_keys(const std::vector<std::uint64_t>& shingle_set) {
  std::vector<std::int64_t> keys;
  if (shingle_set.size() < kMinShingles) return keys;
  // The h-th permutation is mix(shingle ^ mix(h + 1)); the seeds are the same for every
  // shingle, so they are computed once, not once per shingle (half the mixing).
  static const std::array<std::uint64_t, kHashes> seeds = [] {
    std::array<std::uint64_t, kHashes> out{};
    for (std::size_t h = 0; h < kHashes; ++h) out[h] = mix(h + 1);
    return out;
  }();
  std::array<std::uint64_t, kHashes> minimum;
  minimum.fill(UINT64_MAX);
  min_hashes(shingle_set, seeds.data(), minimum.data());
  keys.reserve(kBands);
  for (std::size_t band = 0; band < kBands; ++band) {
    std::uint64_t key = mix(band + 0x51ed);
    for (std::size_t row = 0; row < kRowsPerBand; ++row) key = mix(key ^ minimum[band * kRowsPerBand + row]);
    keys.push_back(static_cast<std::int64_t>(key));
  }
  return keys;
}

NearPrint near_print(const Entry& entry) {
  NearPrint print;
  print.shingles = shingles(entry.title.value_or(""), entry.content ? *entry.content : entry.summary.value_or(""));
  print.band_keys = lsh_band_keys(print.shingles);
  return print;
}

Similarity similarity(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  Similarity result;
  if (a.empty() || b.empty()) return result;
  std::size_t common = 0;
  for (auto i = a.begin(), j = b.begin(); i != a.end() && j != b.end();) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  const std::size_t smaller = std::min(a.size(), b.size());
  const std::size_t larger = std::max(a.size(), b.size());
  result.jaccard = static_cast<double>(common) / static_cast<double>(a.size() + b.size() - common);
  result.containment = static_cast<double>(common) / static_cast<double>(smaller);
  result.size_ratio = static_cast<double>(smaller) / static_cast<double>(larger);
  return result;
}

bool Similarity::is_near_duplicate() const {
  // Precision first. A copy with a changed byline, an added "Source:" line or an edited
  // title keeps most shingles of the whole (high Jaccard). A copy with its ending trimmed
  // keeps almost all of its own shingles inside the original (high containment) and most
  // of its length: a follow-up story that quotes the original but adds as much again is
  // not a copy, nor is a short text that happens to sit inside a long one.
  if (jaccard >= kMinJaccard) return true;
  return containment >= kMinContainment && size_ratio >= kMinSizeRatio;
}

double Similarity::score() const { return std::max(jaccard, size_ratio >= kMinSizeRatio ? containment : 0.0); }

}  // namespace feedd::dedup
