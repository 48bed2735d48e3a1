#pragma once
// Tag-to-field mapping as data (sfeed's lesson): each format lists which elements can
// supply which field, at which rank, read how. For a single-valued field the candidate
// with the lowest rank that yields a value wins (document order breaks ties), so
// "content:encoded beats description" is one row in a table, not a branch in code.
// List fields (authors, categories, enclosures) take every value in document order.

#include <pugixml.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "feedd/parse.hpp"
#include "parse/xml_helpers.hpp"

namespace feedd::parse {

enum class EntryField { kId, kTitle, kLink, kPublished, kUpdated, kAuthor, kSummary, kContent, kCategory, kEnclosure };
enum class FeedField {
  kTitle, kLink, kDescription, kLanguage, kUpdated, kImage, kTtl,
  kUpdatePeriod, kUpdateFrequency, kSkipHours, kSkipDays
};

// What a reader needs besides the element: the bases for relative URLs (see base_of), and
// where to report a recoverable problem ("entry 3: unparseable date '...'").
struct ReadContext {
  std::string document_url;
  std::string page_base;
  std::string label;
  std::vector<std::string>* warnings = nullptr;
  // Only to flag dates more than a day in the future (a warning; the value is kept), so
  // reading the wall clock here does not make the result depend on it.
  Timestamp now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
};

using FieldValue = std::variant<std::string, Timestamp, Enclosure>;
// nullopt: this element does not supply the field after all (an Atom link with another
// rel, an empty title, a bad date): the next candidate is tried.
using Reader = std::optional<FieldValue> (*)(const ReadContext&, pugi::xml_node);

template <typename Field>
struct FieldRule {
  Ns ns;
  std::string_view local_name;
  Field field;
  int rank;
  Reader read;
};

// Builds an entry from the children of `item` by the table.
Entry read_entry(pugi::xml_node item, std::span<const FieldRule<EntryField>> rules, const ReadContext& context);

// Only what dedup::entry_identity needs, read by the same rows as read_entry, and no
// more than it needs: the id (else `fallback_id`, RSS 1.0's rdf:about); without one the
// link; without that the title and dates. The other fields stay empty.
Entry read_identity_fields(pugi::xml_node item, std::span<const FieldRule<EntryField>> rules,
                          const ReadContext& context, std::string_view fallback_id = {});

// The id read_identity_fields gives `item`, as a view into the tree, when the element
// that supplies it holds one text or CDATA node read by readers::trimmed (the usual <guid>
// and <id>); nullopt when the id is not that simple or there is none (then
// read_identity_fields says). Allocates nothing.
std::optional<std::string_view> id_in_place(pugi::xml_node item, std::span<const FieldRule<EntryField>> rules);

// Builds feed metadata from the children of every node in `containers` (RSS 1.0 keeps
// its <image> beside <channel>), earlier containers first. The feed's link, once read,
// is the page base for its other URLs.
FeedMeta read_feed_meta(std::span<const pugi::xml_node> containers, std::span<const FieldRule<FeedField>> rules,
                        ReadContext context);

// The readers the tables are made of.
namespace readers {
std::optional<FieldValue> plain_text(const ReadContext&, pugi::xml_node);   // text, markup stripped
std::optional<FieldValue> trimmed(const ReadContext&, pugi::xml_node);      // ids: as written, trimmed
std::optional<FieldValue> url(const ReadContext&, pugi::xml_node);          // text as a URL, made absolute
std::optional<FieldValue> date(const ReadContext&, pugi::xml_node);         // RFC 822 or RFC 3339
std::optional<FieldValue> html(const ReadContext&, pugi::xml_node);         // escaped HTML, sanitised
std::optional<FieldValue> permalink_guid(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> rss_author(const ReadContext&, pugi::xml_node);   // "mail@x (Name)" -> "Name"
std::optional<FieldValue> rss_enclosure(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> rss_image(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> atom_text_plain(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> atom_text_html(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> atom_alternate_link(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> atom_enclosure(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> atom_person(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> atom_category(const ReadContext&, pugi::xml_node);
std::optional<FieldValue> atom_html_alternate_link(const ReadContext&, pugi::xml_node);  // type text/html or none
std::optional<FieldValue> atom_content_src(const ReadContext&, pugi::xml_node);  // <content src="...">
std::optional<FieldValue> media_content(const ReadContext&, pugi::xml_node);     // as an enclosure
std::optional<FieldValue> media_text_plain(const ReadContext&, pugi::xml_node);  // media:title
std::optional<FieldValue> media_text_html(const ReadContext&, pugi::xml_node);   // media:description
std::optional<FieldValue> url_attribute(const ReadContext&, pugi::xml_node);     // url= (media:thumbnail)
std::optional<FieldValue> href_attribute(const ReadContext&, pugi::xml_node);    // href= (itunes:image)
std::optional<FieldValue> plain_as_html(const ReadContext&, pugi::xml_node);     // itunes:summary
std::optional<FieldValue> child_texts(const ReadContext&, pugi::xml_node);       // skipHours: "0 1 23"
}  // namespace readers

}  // namespace feedd::parse
