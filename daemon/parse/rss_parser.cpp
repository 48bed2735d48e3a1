// RSS 0.9x, 1.0 (RDF) and 2.0: one table, since their elements share names and RSS 1.0
// modules (dc:, content:) are used by all of them.
#include <algorithm>
#include <array>
#include <vector>

#include "parse/field_table.hpp"
#include "parse/format_parsers.hpp"
#include "parse/url_resolver.hpp"

namespace feedd::parse {
namespace {

using namespace readers;
using F = FeedField;
using E = EntryField;

constexpr FieldRule<FeedField> kChannelRules[] = {
    {Ns::kRss, "title", F::kTitle, 0, plain_text},
    {Ns::kDc, "title", F::kTitle, 1, plain_text},
    {Ns::kRss, "link", F::kLink, 0, url},
    {Ns::kAtom10, "link", F::kLink, 1, atom_alternate_link},
    {Ns::kRss, "description", F::kDescription, 0, plain_text},
    {Ns::kDc, "description", F::kDescription, 1, plain_text},
    {Ns::kRss, "language", F::kLanguage, 0, plain_text},
    {Ns::kDc, "language", F::kLanguage, 1, plain_text},
    {Ns::kRss, "lastBuildDate", F::kUpdated, 0, date},
    {Ns::kRss, "pubDate", F::kUpdated, 1, date},
    {Ns::kDc, "date", F::kUpdated, 2, date},
    {Ns::kAtom10, "updated", F::kUpdated, 3, date},
    {Ns::kItunes, "summary", F::kDescription, 2, plain_text},
    {Ns::kItunes, "subtitle", F::kDescription, 3, plain_text},
    {Ns::kDcTerms, "modified", F::kUpdated, 4, date},
    {Ns::kRss, "image", F::kImage, 0, rss_image},
    {Ns::kItunes, "image", F::kImage, 1, href_attribute},
    {Ns::kMedia, "thumbnail", F::kImage, 2, url_attribute},
    {Ns::kRss, "ttl", F::kTtl, 0, trimmed},
    {Ns::kSy, "updatePeriod", F::kUpdatePeriod, 0, trimmed},
    {Ns::kSy, "updateFrequency", F::kUpdateFrequency, 0, trimmed},
    {Ns::kRss, "skipHours", F::kSkipHours, 0, child_texts},
    {Ns::kRss, "skipDays", F::kSkipDays, 0, child_texts},
};

constexpr FieldRule<EntryField> kItemRules[] = {
    {Ns::kRss, "guid", E::kId, 0, trimmed},
    {Ns::kDc, "identifier", E::kId, 1, trimmed},
    {Ns::kRss, "title", E::kTitle, 0, plain_text},
    {Ns::kDc, "title", E::kTitle, 1, plain_text},
    {Ns::kMedia, "title", E::kTitle, 2, media_text_plain},
    // FeedBurner rewrites <link> to its own redirector and keeps the article's address here.
    {Ns::kFeedburner, "origLink", E::kLink, -1, url},
    {Ns::kRss, "link", E::kLink, 0, url},
    {Ns::kRss, "guid", E::kLink, 1, permalink_guid},
    {Ns::kAtom10, "link", E::kLink, 2, atom_html_alternate_link},
    {Ns::kAtom10, "link", E::kLink, 3, atom_alternate_link},
    {Ns::kRss, "pubDate", E::kPublished, 0, date},
    {Ns::kDc, "date", E::kPublished, 1, date},
    {Ns::kDcTerms, "issued", E::kPublished, 2, date},
    {Ns::kDcTerms, "created", E::kPublished, 3, date},
    {Ns::kDcTerms, "date", E::kPublished, 4, date},
    {Ns::kDcTerms, "modified", E::kUpdated, 0, date},
    {Ns::kAtom10, "updated", E::kUpdated, 1, date},
    {Ns::kRss, "author", E::kAuthor, 0, rss_author},
    {Ns::kDc, "creator", E::kAuthor, 0, plain_text},
    {Ns::kItunes, "author", E::kAuthor, 1, plain_text},
    {Ns::kRss, "description", E::kSummary, 0, html},
    {Ns::kDc, "description", E::kSummary, 1, html},
    {Ns::kMedia, "description", E::kSummary, 2, media_text_html},
    {Ns::kItunes, "summary", E::kSummary, 3, plain_as_html},
    {Ns::kContent, "encoded", E::kContent, 0, html},
    {Ns::kRss, "category", E::kCategory, 0, plain_text},
    {Ns::kDc, "subject", E::kCategory, 0, plain_text},
    {Ns::kRss, "enclosure", E::kEnclosure, 0, rss_enclosure},
    {Ns::kAtom10, "link", E::kEnclosure, 0, atom_enclosure},
    {Ns::kMedia, "content", E::kEnclosure, 0, media_content},
};

bool is_rss_element(pugi::xml_node node, std::string_view local) {
  return node.type() == pugi::node_element && local_name(node.name()) == local && ns_of(node) == Ns::kRss;
}

}  // namespace

void parse_rss(pugi::xml_node root, std::string_view url, const RawEntries& raw, ParsedFeed& feed) {
  pugi::xml_node channel;
  for (pugi::xml_node child : root.children())
    if (is_rss_element(child, "channel")) channel = child;
  // RSS 1.0 and 0.90 put <image> and <item> beside <channel>, RSS 2.0 inside it.
  const std::array<pugi::xml_node, 2> containers = {channel, root};
  ReadContext context{std::string(url), std::string(url), "feed", &feed.warnings};
  feed.feed = read_feed_meta(containers, kChannelRules, context);
  if (feed.feed.link && !url_scheme(*feed.feed.link).empty()) context.page_base = *feed.feed.link;

  // An <item> left unclosed before the next one comes back from the tolerant pass with
  // the next item nested inside it; each is still its own entry (as feedparser reads it),
  // so nested items are read too, in document order, with an explicit stack.
  std::vector<pugi::xml_node> pending;
  for (pugi::xml_node container : containers) {
    for (pugi::xml_node top : container.children()) {
      if (!is_rss_element(top, "item")) continue;
      pending.push_back(top);
      while (!pending.empty()) {
        const pugi::xml_node item = pending.back();
        pending.pop_back();
        context.label = "entry " + std::to_string(feed.entries.size() + feed.unchanged_identities.size() + 1);
        // RSS 1.0 names each item by its rdf:about, its only identifier.
        const std::string_view about = attribute_by_local_name(item, "about").value();
        const RawHash raw_hash = raw_entry_hash(item, raw, context);
        std::optional<std::string> unchanged;
        if (raw.known) unchanged = unchanged_identity(item, kItemRules, context, about, raw_hash.view(), raw);
        if (unchanged) {
          feed.unchanged_identities.push_back(std::move(*unchanged));
        } else {
          Entry entry = read_entry(item, kItemRules, context);
          if (!entry.id && !about.empty()) entry.id = std::string(about);
          entry.raw_hash = raw_hash.view();
          feed.entries.push_back(std::move(entry));
        }
        const size_t first_nested = pending.size();
        for (pugi::xml_node child : item.children())
          if (is_rss_element(child, "item")) pending.push_back(child);
        std::reverse(pending.begin() + static_cast<std::ptrdiff_t>(first_nested), pending.end());
      }
    }
  }
}

}  // namespace feedd::parse
