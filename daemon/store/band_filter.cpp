#include "store/band_filter.hpp"

#include <algorithm>
#include <bit>

namespace feedd::store_detail {

namespace {

// Band keys are already hashes, but of a few minima: mixed again so that the probes of
// neighbouring keys do not share bits (splitmix64's finaliser).
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

void BandFilter::reset(std::size_t capacity) {
  capacity_ = std::max<std::size_t>(capacity, 4096);
  const std::size_t bits = std::bit_ceil(capacity_ * kBitsPerKey);
  words_.assign(bits / 64, 0);
  bit_mask_ = bits - 1;
  keys_ = 0;
}

void BandFilter::add(std::int64_t key) {
  // Probes h1 + i*h2 (Kirsch and Mitzenmacher): two halves of one hash do for six.
  const std::uint64_t h = mix(static_cast<std::uint64_t>(key));
  const std::uint64_t h2 = (h >> 32) | 1;
  for (int i = 0; i < kProbes; ++i) {
    const std::uint64_t bit = (h + static_cast<std::uint64_t>(i) * h2) & bit_mask_;
    words_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
  }
  ++keys_;
}

bool BandFilter::may_contain(std::int64_t key) const {
  if (words_.empty()) return true;
  const std::uint64_t h = mix(static_cast<std::uint64_t>(key));
  const std::uint64_t h2 = (h >> 32) | 1;
  for (int i = 0; i < kProbes; ++i) {
    const std::uint64_t bit = (h + static_cast<std::uint64_t>(i) * h2) & bit_mask_;
    if (!(words_[bit >> 6] & (std::uint64_t{1} << (bit & 63)))) return false;
  }
  return true;
}

}  // namespace feedd::store_detail
