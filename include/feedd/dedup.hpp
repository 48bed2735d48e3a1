#pragma once
// dedup: what makes two entries the same story (ARCHITECTURE.md, "What is a story").
// Pure functions; the store applies their decisions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/parse.hpp"

namespace feedd::dedup {

// The text normalisation behind content hashes: NFC-ish folding of what copies change
// when they are re-published (markup already stripped by the caller): entities decoded,
// typographic quotes and dashes folded to ASCII, white space collapsed, case folded.
std::string normalise_text(std::string_view plain_text);

// Hex SHA-256 of the normalised title and normalised text. `body_html` is the entry's
// content, else its summary; markup is stripped here.
std::string content_hash(std::string_view title, std::string_view body_html);

// A URL in the form used for identity and matching: scheme and host lower case, default
// port and fragment dropped, tracking parameters (utm_*, fbclid, gclid, ...) removed.
std::string canonical_url(std::string_view url);

// An entry's identity inside its source: its id; else its canonical link; else
// "hash:" + a hash of title and date.
std::string entry_identity(const Entry& entry);

// What to do with one entry, given what the store already knows.
enum class Decision {
  kUnchanged,    // same identity, same content: nothing to do (costs a lookup only)
  kChanged,      // same identity, new content: update the story in place
  kNewCopy,      // new identity in this source, content already known from a story
  kNewStory,     // nothing like it stored
};

struct Known {
  std::optional<std::string> hash_for_identity;  // content hash stored for (source, identity)
  bool hash_known = false;                       // some story has this content hash
};

Decision decide(const std::string& content_hash, const Known& known);

// ---- Near duplicates (ARCHITECTURE.md: "Near duplicates") ----

// The set of word 3-shingles of a story's normalised title and text (sorted, unique,
// 64-bit hashes). `body_html` is the content, else the summary, as for content_hash.
std::vector<std::uint64_t> shingles(std::string_view title, std::string_view body_html);

// MinHash of the shingle set cut into 16 bands of 4 hashes, one key per band: two sets
// share at least one key with a probability that rises steeply with their similarity
// (about 0.89 at Jaccard 0.6, 0.998 at 0.75), so the store finds candidates by an indexed
// lookup of the keys. Empty for texts too short to judge (under 12 shingles): those are
// never merged as near duplicates.
std::vector<std::int64_t> lsh_band_keys(const std::vector<std::uint64_t>& shingle_set);
inline constexpr std::size_t kBandKeys = 16;  // the size of every non-empty lsh_band_keys

// Both of the above for one entry (its title, and its content, else its summary): what
// the store needs to look a new story up and to index it. Pure, so it can be computed
// on a parse worker ahead of the store thread.
struct NearPrint {
  std::vector<std::uint64_t> shingles;
  std::vector<std::int64_t> band_keys;
};
NearPrint near_print(const Entry& entry);

// The exact overlap of two shingle sets, measured after the band lookup.
struct Similarity {
  static constexpr double kMinJaccard = 0.70;
  static constexpr double kMinContainment = 0.90;
  static constexpr double kMinSizeRatio = 0.60;

  double jaccard = 0;      // |A and B| / |A or B|
  double containment = 0;  // |A and B| / size of the smaller set
  double size_ratio = 0;   // smaller / larger

  // Jaccard >= 0.70, or (a trimmed copy) containment >= 0.90 with a size ratio >= 0.60.
  bool is_near_duplicate() const;
  // The number recorded with a merge: the measure that made the decision.
  double score() const;
};

Similarity similarity(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b);

}  // namespace feedd::dedup
