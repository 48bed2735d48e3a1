#include "parse/entry_digest.hpp"

// Debian's libxxhash, through its x86 dispatcher: the library picks XXH3's AVX2 loop
// at run time where the CPU has it (the header-only build is SSE2, for x86-64 as a
// whole), and an entry's bytes, most of the document, are hashed twice as fast. The
// hash values are XXH3's whichever loop computes them, so stored raw hashes still match.
// XXH_STATIC_LINKING_ONLY: the state lives on the stack, as with the header-only build
// (its layout is the installed library's own: same package, same version).
#define XXH_STATIC_LINKING_ONLY
#include <xxh_x86dispatch.h>

#include <array>

#include "feedd/dedup.hpp"
#include "parse/text.hpp"

namespace feedd::parse {
namespace {

void add(XXH3_state_t& state, std::string_view bytes) {
  XXH3_128bits_update(&state, bytes.data(), bytes.size());
  XXH3_128bits_update(&state, "", 1);  // a separator no name or value holds
}

// Where pugixml found `node` in the text it parsed, or -1 (offset_debug gives the name
// of an element, past its '<', and the start of a text node's value).
std::ptrdiff_t start_of(pugi::xml_node node) {
  const std::ptrdiff_t offset = node.offset_debug();
  if (offset < 0) return -1;
  const auto type = node.type();
  return type == pugi::node_element || type == pugi::node_pi || type == pugi::node_declaration ? offset - 1 : offset;
}

// A field as parse_feed finishes it: cut to kMaxTextBytes, then made valid UTF-8.
std::optional<std::string> finished(std::optional<std::string> text) {
  if (!text) return text;
  if (text->size() > kMaxTextBytes) text->resize(utf8_cut(*text, kMaxTextBytes));
  return to_valid_text(*text);
}

}  // namespace

RawHash raw_entry_hash(pugi::xml_node entry, const RawEntries& raw, const ReadContext& context) {
  const std::string_view text = raw.text;
  if (text.empty()) return {};
  const std::ptrdiff_t begin = start_of(entry);
  if (begin < 0 || static_cast<size_t>(begin) >= text.size() || text[static_cast<size_t>(begin)] != '<') return {};
  pugi::xml_node after = entry;
  while (after && !after.next_sibling()) after = after.parent();
  std::ptrdiff_t end = static_cast<std::ptrdiff_t>(text.size());
  if (after) end = start_of(after.next_sibling());
  if (end < begin || static_cast<size_t>(end) > text.size()) return {};

  XXH3_state_t state;
  if (raw.context_parent != entry.parent() || raw.context_page_base != context.page_base) {
    XXH3_128bits_reset(&state);
    // Changed whenever a change to feedd's parser makes it read the same bytes
    // differently, so that no entry stored before is taken as unchanged by what it never
    // read. The document URL is the base of xml:base; the page base that of the rest.
    add(state, "feedd raw entry hash 1");
    add(state, context.document_url);
    add(state, context.page_base);
    for (pugi::xml_node n = entry.parent(); n && n.type() == pugi::node_element; n = n.parent()) {
      add(state, n.name());
      for (pugi::xml_attribute attr : n.attributes()) {
        add(state, attr.name());
        add(state, attr.value());
      }
    }
    XXH128_canonicalFromHash(reinterpret_cast<XXH128_canonical_t*>(raw.context_digest.data()),
                             XXH3_128bits_digest(&state));
    raw.context_parent = entry.parent();
    raw.context_page_base = context.page_base;
  }
  XXH3_128bits_reset(&state);
  XXH3_128bits_update(&state, raw.context_digest.data(), raw.context_digest.size());
  add(state, text.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin)));
  const XXH128_hash_t hash = XXH3_128bits_digest(&state);

  static constexpr char kHex[] = "0123456789abcdef";
  RawHash hex;
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t half = i < 8 ? hash.high64 : hash.low64;
    const unsigned byte = static_cast<unsigned>(half >> (8 * (7 - i % 8))) & 0xFF;
    hex.hex[2 * i] = kHex[byte >> 4];
    hex.hex[2 * i + 1] = kHex[byte & 0xF];
  }
  hex.placed = true;
  return hex;
}

std::optional<std::string> unchanged_identity(pugi::xml_node item, std::span<const FieldRule<EntryField>> rules,
                                              const ReadContext& context, std::string_view fallback_id,
                                              std::string_view raw_hash, const RawEntries& raw) {
  const KnownEntries& known = *raw.known;
  if (raw_hash.empty() || known.empty()) return std::nullopt;
  // The usual entry: an id in one text node, short and valid, so finished() keeps it as it
  // is and it is the identity itself; looked up in place, copied only when known.
  if (const auto id = id_in_place(item, rules); id && id->size() <= kMaxTextBytes && is_valid_utf8(*id)) {
    raw.lookup_key.assign(*id);
    const auto it = known.find(raw.lookup_key);
    if (it == known.end() || it->second != raw_hash) return std::nullopt;
    return it->first;
  }
  Entry fields = read_identity_fields(item, rules, context, fallback_id);
  fields.id = finished(std::move(fields.id));
  fields.link = finished(std::move(fields.link));
  fields.title = finished(std::move(fields.title));
  // Without any of them the identity is made of the content hash: not known this way.
  if (!fields.id && !fields.link && !fields.title && !fields.published && !fields.updated) return std::nullopt;
  std::string identity = dedup::entry_identity(fields);
  const auto it = known.find(identity);
  if (it == known.end() || it->second != raw_hash) return std::nullopt;
  return identity;
}

}  // namespace feedd::parse
