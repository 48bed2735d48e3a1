#pragma once
// Raw entry hashes (Entry::raw_hash) and the known-entry test behind parse_feed's fast
// path: an entry whose identity the store has with the same raw hash reads the same as
// when it was stored, so it is left out without reading its HTML.

#include <pugixml.hpp>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "feedd/parse.hpp"
#include "parse/field_table.hpp"

namespace feedd::parse {

// What the format parsers need for raw hashes and known entries.
struct RawEntries {
  std::string_view text;                // the text pugixml parsed: its node offsets index it
  const KnownEntries* known = nullptr;  // null: every entry is read
  // The hash of the context of the last parent seen (entries share their parent).
  mutable pugi::xml_node context_parent{};
  mutable std::string context_page_base{};
  mutable std::array<unsigned char, 16> context_digest{};
  mutable std::string lookup_key{};  // reused: looking an identity up allocates nothing
};

// Entry::raw_hash in 32 lower-case hex digits, held without an allocation.
struct RawHash {
  std::array<char, 32> hex{};
  bool placed = false;  // false: pugixml could not place the entry (the hash is "")
  std::string_view view() const { return placed ? std::string_view(hex.data(), hex.size()) : std::string_view(); }
};

// Entry::raw_hash of the element `entry` of a document pugixml parsed from `raw.text`:
// XXH3-128 of the context (document URL, page base, the name and attributes of every
// ancestor) and of the bytes from the entry's '<' to the next node after it (or the end
// of the text), which hold all of the entry's own markup.
RawHash raw_entry_hash(pugi::xml_node entry, const RawEntries& raw, const ReadContext& context);

// The identity of `item` when `raw.known` holds it with `raw_hash` (the entry is
// unchanged), else nullopt. The identity is dedup::entry_identity of the entry
// parse_feed would give, read from the id, link, title and date rows of `rules` only
// (capped and made valid UTF-8 as parse_feed does); entries without any of them are
// never unchanged. `raw.known` must not be null.
std::optional<std::string> unchanged_identity(pugi::xml_node item, std::span<const FieldRule<EntryField>> rules,
                                              const ReadContext& context, std::string_view fallback_id,
                                              std::string_view raw_hash, const RawEntries& raw);

}  // namespace feedd::parse
