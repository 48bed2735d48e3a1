// Atom 1.0 (RFC 4287) and its draft predecessor Atom 0.3, whose renamed elements
// (tagline, modified, issued) are rows of their own in the same tables.
#include "parse/field_table.hpp"
#include "parse/format_parsers.hpp"
#include "parse/text.hpp"
#include "parse/url_resolver.hpp"

namespace feedd::parse {
namespace {

using namespace readers;
using F = FeedField;
using E = EntryField;

constexpr FieldRule<FeedField> kFeedRules[] = {
    {Ns::kAtom10, "title", F::kTitle, 0, atom_text_plain},
    {Ns::kAtom10, "link", F::kLink, 0, atom_html_alternate_link},
    {Ns::kAtom10, "link", F::kLink, 1, atom_alternate_link},
    {Ns::kAtom10, "subtitle", F::kDescription, 0, atom_text_plain},
    {Ns::kAtom10, "tagline", F::kDescription, 1, atom_text_plain},
    {Ns::kAtom10, "updated", F::kUpdated, 0, date},
    {Ns::kAtom10, "modified", F::kUpdated, 1, date},
    {Ns::kAtom10, "logo", F::kImage, 0, url},
    {Ns::kAtom10, "icon", F::kImage, 1, url},
    {Ns::kItunes, "image", F::kImage, 2, href_attribute},
};

constexpr FieldRule<EntryField> kEntryRules[] = {
    {Ns::kAtom10, "id", E::kId, 0, trimmed},
    {Ns::kAtom10, "title", E::kTitle, 0, atom_text_plain},
    // Several alternates differ by type: the HTML page beats the others.
    {Ns::kAtom10, "link", E::kLink, 0, atom_html_alternate_link},
    {Ns::kAtom10, "link", E::kLink, 1, atom_alternate_link},
    {Ns::kFeedburner, "origLink", E::kLink, -1, url},
    {Ns::kAtom10, "content", E::kLink, 2, atom_content_src},
    {Ns::kAtom10, "link", E::kEnclosure, 0, atom_enclosure},
    {Ns::kMedia, "content", E::kEnclosure, 0, media_content},
    {Ns::kAtom10, "published", E::kPublished, 0, date},
    {Ns::kAtom10, "issued", E::kPublished, 1, date},
    {Ns::kDc, "date", E::kPublished, 2, date},
    {Ns::kAtom10, "updated", E::kUpdated, 0, date},
    {Ns::kAtom10, "modified", E::kUpdated, 1, date},
    {Ns::kAtom10, "author", E::kAuthor, 0, atom_person},
    {Ns::kDc, "creator", E::kAuthor, 1, plain_text},
    {Ns::kItunes, "author", E::kAuthor, 2, plain_text},
    {Ns::kAtom10, "summary", E::kSummary, 0, atom_text_html},
    {Ns::kMedia, "description", E::kSummary, 1, media_text_html},
    {Ns::kAtom10, "content", E::kContent, 0, atom_text_html},
    {Ns::kAtom10, "category", E::kCategory, 0, atom_category},
    {Ns::kDc, "subject", E::kCategory, 0, plain_text},
};

}  // namespace

void parse_atom(pugi::xml_node root, std::string_view url, const RawEntries& raw, ParsedFeed& feed) {
  const pugi::xml_node containers[] = {root};
  ReadContext context{std::string(url), std::string(url), "feed", &feed.warnings};
  feed.feed = read_feed_meta(containers, kFeedRules, context);
  if (const std::string_view lang = trim(root.attribute("xml:lang").value()); !lang.empty())
    feed.feed.language = std::string(lang);
  if (feed.feed.link && !url_scheme(*feed.feed.link).empty()) context.page_base = *feed.feed.link;

  for (pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element || local_name(child.name()) != "entry") continue;
    const Ns ns = ns_of(child);
    if (ns != Ns::kAtom10 && ns != Ns::kAtom03) continue;
    context.label = "entry " + std::to_string(feed.entries.size() + feed.unchanged_identities.size() + 1);
    const RawHash raw_hash = raw_entry_hash(child, raw, context);
    if (raw.known) {
      if (auto unchanged = unchanged_identity(child, kEntryRules, context, {}, raw_hash.view(), raw)) {
        feed.unchanged_identities.push_back(std::move(*unchanged));
        continue;
      }
    }
    Entry entry = read_entry(child, kEntryRules, context);
    entry.raw_hash = raw_hash.view();
    feed.entries.push_back(std::move(entry));
  }
}

}  // namespace feedd::parse
