#include "store/band_filter.hpp"

#include <algorithm>

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
  // The old bits go first: assign() would hold both until the new ones are filled (at
  // 10,000 feeds, 19 MB at the peak instead of 13).
  std::vector<std::uint64_t>().swap(words_);
  words_.assign((capacity_ * kBitsPerKey + 63) / 64, 0);
  bits_ = words_.size() * 64;
  keys_ = 0;
}

// A probe's bit: the top bits of the probe's hash times the number of bits (Lemire's
// multiply-shift), so the filter need not be a power of two (twice the memory, at worst).
std::uint64_t BandFilter::bit_of(std::uint64_t probe) const {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(probe) * bits_) >> 64);
}

void BandFilter::add(std::int64_t key) {
  // Probes h1 + i*h2 (Kirsch and Mitzenmacher): two halves of one hash do for six.
  const std::uint64_t h = mix(static_cast<std::uint64_t>(key));
  const std::uint64_t h2 = (h >> 32) | 1;
  for (int i = 0; i < kProbes; ++i) {
    const std::uint64_t bit = bit_of(h + static_cast<std::uint64_t>(i) * h2);
    words_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
  }
  ++keys_;
}

bool BandFilter::may_contain(std::int64_t key) const {
  if (words_.empty()) return true;
  const std::uint64_t h = mix(static_cast<std::uint64_t>(key));
  const std::uint64_t h2 = (h >> 32) | 1;
  for (int i = 0; i < kProbes; ++i) {
    const std::uint64_t bit = bit_of(h + static_cast<std::uint64_t>(i) * h2);
    if (!(words_[bit >> 6] & (std::uint64_t{1} << (bit & 63)))) return false;
  }
  return true;
}

}  // namespace feedd::store_detail
