#pragma once
// Private to daemon/store/: a Bloom filter of the near-duplicate band keys the store holds,
// so that a new story none of whose keys was ever stored skips the band index lookup.
//
// On a cold pass almost every story is new and shares no band with anything: its lookup
// (sixteen b-tree seeks) was the store thread's most expensive statement and found
// nothing. The filter answers "certainly absent" for all sixteen keys of ~94% of such
// stories (12 bits and 6 probes per key: one key in ~270 is a false "maybe"); "maybe"
// costs the lookup as before, so a false positive never changes a result. Keys are never
// removed: those of pruned or edited stories only make more "maybe"s until the filter is
// rebuilt, which happens when it outgrows its capacity.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace feedd::store_detail {

class BandFilter {
 public:
  // Empty, sized for `capacity` keys (at least a few thousand): 12 bits each.
  void reset(std::size_t capacity);
  void add(std::int64_t key);
  bool may_contain(std::int64_t key) const;
  // More keys than it was sized for: false "maybe"s grow; time to rebuild it larger.
  bool full() const { return keys_ > capacity_; }
  std::size_t capacity() const { return capacity_; }

 private:
  static constexpr int kProbes = 6;
  static constexpr std::size_t kBitsPerKey = 12;
  std::uint64_t bit_of(std::uint64_t probe) const;
  std::vector<std::uint64_t> words_;
  std::uint64_t bits_ = 0;
  std::size_t capacity_ = 0;
  std::size_t keys_ = 0;
};

}  // namespace feedd::store_detail
