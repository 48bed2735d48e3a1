#pragma once
// dedup: what makes two entries the same story (ARCHITECTURE.md, "What is a story").
// Pure functions; the store applies their decisions.

#include <optional>
#include <string>
#include <string_view>

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

}  // namespace feedd::dedup
