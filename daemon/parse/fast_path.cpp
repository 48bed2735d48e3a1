// scan_feed_keys: the fast path for a feed whose entries the store mostly has already.
// It reads only what identifies an entry (id, title, link, dates) and the content hash,
// and never builds sanitised HTML when it can avoid it: the hash needs only the visible
// text of the body, which a small exact tag-stripper produces for the plain HTML most
// feeds carry. Anything that tag-stripper is not sure about (comments, unknown entities,
// mis-nested or unusual elements) goes through the same sanitiser and html_to_text that
// parse_feed uses, so the hash is always parse_feed's hash (tests/parse_test.cpp checks
// this over every fixture, and the fuzz target over random input).
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <vector>

#include "dedup/sha256.hpp"
#include "feedd/dedup.hpp"
#include "feedd/parse.hpp"
#include "feedd/sanitize.hpp"
#include "parse/encoding.hpp"
#include "parse/field_table.hpp"
#include "parse/html_entities.hpp"
#include "parse/simple_html.hpp"
#include "parse/text.hpp"
#include "parse/tree_buffer.hpp"
#include "parse/url_resolver.hpp"
#include "parse/xml_helpers.hpp"

namespace feedd {
namespace {

using namespace parse;
using namespace parse::readers;
using E = EntryField;
using F = FeedField;

// The identity and body rows of rss_parser.cpp's and atom_parser.cpp's tables, same
// ranks and readers (keep them in step: the [fastpath] test over every fixture fails
// otherwise). Body rows are read below: the html and atom_text_html readers without
// sanitising, any other reader by calling it.
constexpr FieldRule<EntryField> kRssKeyRules[] = {
    {Ns::kRss, "guid", E::kId, 0, trimmed},
    {Ns::kDc, "identifier", E::kId, 1, trimmed},
    {Ns::kRss, "title", E::kTitle, 0, plain_text},
    {Ns::kDc, "title", E::kTitle, 1, plain_text},
    {Ns::kMedia, "title", E::kTitle, 2, media_text_plain},
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
};
constexpr FieldRule<EntryField> kRssBodyRules[] = {
    {Ns::kRss, "description", E::kSummary, 0, html},
    {Ns::kDc, "description", E::kSummary, 1, html},
    {Ns::kMedia, "description", E::kSummary, 2, media_text_html},
    {Ns::kItunes, "summary", E::kSummary, 3, plain_as_html},
    {Ns::kContent, "encoded", E::kContent, 0, html},
};
constexpr FieldRule<FeedField> kRssLinkRules[] = {
    {Ns::kRss, "link", F::kLink, 0, url},
    {Ns::kAtom10, "link", F::kLink, 1, atom_alternate_link},
};
constexpr FieldRule<EntryField> kAtomKeyRules[] = {
    {Ns::kAtom10, "id", E::kId, 0, trimmed},
    {Ns::kAtom10, "title", E::kTitle, 0, atom_text_plain},
    {Ns::kAtom10, "link", E::kLink, 0, atom_html_alternate_link},
    {Ns::kAtom10, "link", E::kLink, 1, atom_alternate_link},
    {Ns::kFeedburner, "origLink", E::kLink, -1, url},
    {Ns::kAtom10, "content", E::kLink, 2, atom_content_src},
    {Ns::kAtom10, "published", E::kPublished, 0, date},
    {Ns::kAtom10, "issued", E::kPublished, 1, date},
    {Ns::kDc, "date", E::kPublished, 2, date},
    {Ns::kAtom10, "updated", E::kUpdated, 0, date},
    {Ns::kAtom10, "modified", E::kUpdated, 1, date},
};
constexpr FieldRule<EntryField> kAtomBodyRules[] = {
    {Ns::kAtom10, "summary", E::kSummary, 0, atom_text_html},
    {Ns::kMedia, "description", E::kSummary, 1, media_text_html},
    {Ns::kAtom10, "content", E::kContent, 0, atom_text_html},
};
constexpr FieldRule<FeedField> kAtomLinkRules[] = {
    {Ns::kAtom10, "link", F::kLink, 0, atom_html_alternate_link},
    {Ns::kAtom10, "link", F::kLink, 1, atom_alternate_link},
};

constexpr size_t kMaxSimpleBody = 1 << 20;

// Whether collapse_whitespace would leave anything of `text` (ASCII space and U+00A0 go).
bool has_visible_character(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') continue;
    if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      ++i;
      continue;
    }
    return true;
  }
  return false;
}

// ---- Bodies ----------------------------------------------------------------------

// The text of one element's character data without a copy when it is one node.
std::string_view character_data(pugi::xml_node node, std::string& storage) {
  pugi::xml_node first = node.first_child();
  if (first && !first.next_sibling() && (first.type() == pugi::node_pcdata || first.type() == pugi::node_cdata))
    return first.value();
  storage = all_text(node);
  return storage;
}

std::string escape_text(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (c == '&') escaped += "&amp;";
    else if (c == '<') escaped += "&lt;";
    else if (c == '>') escaped += "&gt;";
    else escaped += c;
  }
  return escaped;
}

// The markup a body element stands for, as field_table.cpp's html (RSS) and
// atom_text_html (Atom) readers see it; false when the element supplies no value
// (Atom base64 or src).
bool body_markup(pugi::xml_node node, bool atom, std::string& storage, std::string_view& markup) {
  if (!atom) {
    markup = has_element_children(node) ? (storage = inner_xml(node)) : character_data(node, storage);
    return true;
  }
  if (iequals(node.attribute("mode").value(), "base64") || node.attribute("src")) return false;
  const std::string type = to_lower_ascii(trim(node.attribute("type").value()));
  if (type == "html" || type == "text/html") {
    markup = has_element_children(node) ? (storage = inner_xml(node)) : character_data(node, storage);
  } else if (type == "xhtml" || type == "application/xhtml+xml") {
    pugi::xml_node div;
    for (pugi::xml_node child : node.children()) {
      if (child.type() == pugi::node_element) {
        div = local_name(child.name()) == "div" ? child : pugi::xml_node();
        break;
      }
    }
    storage = inner_xml(div ? div : node);
    markup = storage;
  } else {
    std::string text_storage;
    storage = escape_text(character_data(node, text_storage));
    markup = storage;
  }
  return true;
}

// The visible text of the body value `rule` reads from `node` (white space not
// necessarily collapsed); nullopt when the reader would give no value (then the next
// candidate is tried, as in read_entry).
std::optional<std::string> body_text(const FieldRule<EntryField>& rule, pugi::xml_node node,
                                     const ReadContext& context) {
  if (rule.read != html && rule.read != atom_text_html) {
    std::optional<FieldValue> value = rule.read(context, node);  // rare rows: the sure way
    if (!value) return std::nullopt;
    return html_to_text(std::get<std::string>(*value));
  }
  std::string storage;
  std::string_view markup;
  if (!body_markup(node, rule.read == atom_text_html, storage, markup)) return std::nullopt;
  std::string text;
  text.reserve(markup.size());
  // libxml2 limits text nodes to 10 MB without HTML_PARSE_HUGE: leave big bodies to it.
  if (markup.size() < kMaxSimpleBody && strip_simple_html(markup, text)) {
    // Visible text survives sanitising, so the sanitised value is not empty. White space
    // is left as it is: normalise_text collapses it as collapse_whitespace would.
    if (has_visible_character(text)) return text;
  }
  const std::string sanitised(
      trim(sanitize_html(markup, base_of(node, context.document_url, context.page_base))));
  if (sanitised.empty()) return std::nullopt;
  return html_to_text(sanitised);
}

struct BodyCandidate {
  const FieldRule<EntryField>* rule;
  pugi::xml_node node;
};

// Content's text, else summary's, by the rules' ranks (document order breaks ties).
std::string entry_body_text(pugi::xml_node item, std::span<const FieldRule<EntryField>> rules,
                            const ReadContext& context) {
  std::vector<BodyCandidate> found;
  const auto consider = [&](pugi::xml_node child, std::string_view local) {
    bool named = false;
    for (const auto& rule : rules) named = named || rule.local_name == local;
    if (!named) return;
    const Ns ns = ns_of(child);
    for (const auto& rule : rules) {
      const bool same_ns = rule.ns == ns || (rule.ns == Ns::kAtom10 && ns == Ns::kAtom03);
      if (same_ns && rule.local_name == local) found.push_back({&rule, child});
    }
  };
  for (pugi::xml_node child : item.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view local = local_name(child.name());
    consider(child, local);
    // As field_table.cpp's candidates_in: a media:group's members count as the item's own.
    if (local == "group" && ns_of(child) == Ns::kMedia)
      for (pugi::xml_node member : child.children())
        if (member.type() == pugi::node_element) consider(member, local_name(member.name()));
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const BodyCandidate& a, const BodyCandidate& b) { return a.rule->rank < b.rule->rank; });
  for (EntryField field : {EntryField::kContent, EntryField::kSummary})
    for (const BodyCandidate& candidate : found)
      if (candidate.rule->field == field)
        if (auto text = body_text(*candidate.rule, candidate.node, context)) return std::move(*text);
  return {};
}

// dedup::content_hash, given the body's text rather than its HTML.
std::string content_hash_of_text(std::string_view title, std::string_view body_text) {
  std::string material = dedup::normalise_text(title);
  material.push_back('\x1f');
  material += dedup::normalise_text(body_text);
  return dedup::sha256_hex(material);
}

// ---- Documents -------------------------------------------------------------------

EntryKey key_of(Entry entry, std::string body_text) {
  EntryKey key;
  key.content_hash = content_hash_of_text(entry.title.value_or(""), body_text);
  // parse_feed makes every string valid UTF-8 after hashing; so do we.
  if (entry.id) key.id = to_valid_utf8(*entry.id);
  if (entry.title) key.title = to_valid_utf8(*entry.title);
  if (entry.link) key.link = to_valid_utf8(*entry.link);
  key.published = entry.published;
  key.updated = entry.updated;
  return key;
}

bool is_rss_element(pugi::xml_node node, std::string_view local) {
  return node.type() == pugi::node_element && local_name(node.name()) == local && ns_of(node) == Ns::kRss;
}

std::vector<EntryKey> scan_rss(pugi::xml_node root, std::string_view url) {
  pugi::xml_node channel;
  for (pugi::xml_node child : root.children())
    if (is_rss_element(child, "channel")) channel = child;
  const std::array<pugi::xml_node, 2> containers = {channel, root};
  ReadContext context{std::string(url), std::string(url), "feed", nullptr};
  const FeedMeta meta = read_feed_meta(containers, kRssLinkRules, context);
  if (meta.link && !url_scheme(*meta.link).empty()) context.page_base = *meta.link;

  std::vector<EntryKey> keys;
  for (pugi::xml_node container : containers) {
    for (pugi::xml_node item : container.children()) {
      if (!is_rss_element(item, "item")) continue;
      Entry entry = read_entry(item, kRssKeyRules, context);
      if (!entry.id)
        if (const std::string_view about = attribute_by_local_name(item, "about").value(); !about.empty())
          entry.id = std::string(about);
      std::string text = entry_body_text(item, kRssBodyRules, context);
      keys.push_back(key_of(std::move(entry), std::move(text)));
    }
  }
  return keys;
}

std::vector<EntryKey> scan_atom(pugi::xml_node root, std::string_view url) {
  const pugi::xml_node containers[] = {root};
  ReadContext context{std::string(url), std::string(url), "feed", nullptr};
  const FeedMeta meta = read_feed_meta(containers, kAtomLinkRules, context);
  if (meta.link && !url_scheme(*meta.link).empty()) context.page_base = *meta.link;

  std::vector<EntryKey> keys;
  for (pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element || local_name(child.name()) != "entry") continue;
    const Ns ns = ns_of(child);
    if (ns != Ns::kAtom10 && ns != Ns::kAtom03) continue;
    Entry entry = read_entry(child, kAtomKeyRules, context);
    std::string text = entry_body_text(child, kAtomBodyRules, context);
    keys.push_back(key_of(std::move(entry), std::move(text)));
  }
  return keys;
}

// The slow, sure way, for what the fast path does not read itself (JSON Feed, and
// every document parse_feed would refuse or that is not RSS or Atom).
Result<std::vector<EntryKey>> keys_from_full_parse(std::string_view bytes, std::string_view content_type,
                                                   std::string_view url) {
  Result<ParsedFeed> parsed = parse_feed(bytes, content_type, url);
  if (!parsed) return parsed.status();
  std::vector<EntryKey> keys;
  keys.reserve(parsed->entries.size());
  for (Entry& entry : parsed->entries)
    keys.push_back({std::move(entry.id), std::move(entry.link), std::move(entry.title), entry.published,
                    entry.updated, std::move(entry.content_hash)});
  return keys;
}

// Whether parse_feed would refuse the document before parsing it: feed_parser.cpp's
// read_prologue finds no root element, or a doctype or root named html. Read the same
// way, so that the answer is the same.
bool refused_by_prologue(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    i = text.find('<', i);
    if (i == std::string_view::npos) return true;
    const std::string_view rest = text.substr(i);
    if (rest.substr(0, 4) == "<!--") {
      i = text.find("-->", i);
    } else if (rest.substr(0, 2) == "<?") {
      i = text.find("?>", i);
    } else if (rest.size() > 9 && iequals(rest.substr(0, 9), "<!doctype")) {
      const size_t name_start = rest.find_first_not_of(" \t\r\n", 9);
      const size_t name_end = rest.find_first_of(" \t\r\n>[", name_start);
      if (name_start != std::string_view::npos && iequals(rest.substr(name_start, name_end - name_start), "html"))
        return true;
      i = text.find('>', i);
    } else {
      const size_t end = rest.find_first_of(" \t\r\n/>", 1);
      const std::string_view root = rest.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1);
      return root.empty() || iequals(local_name(root), "html");
    }
    if (i == std::string_view::npos) return true;
    ++i;
  }
  return true;
}

}  // namespace

Result<std::vector<EntryKey>> scan_feed_keys(std::string_view bytes, std::string_view content_type,
                                             std::string_view url) {
  std::vector<std::string> warnings;
  DecodedDocument decoded;
  decode_document(bytes, content_type, warnings, decoded);
  const std::string_view text = trim(decoded.text);
  if (text.empty() || text.front() != '<') return keys_from_full_parse(bytes, content_type, url);
  if (refused_by_prologue(text)) return keys_from_full_parse(bytes, content_type, url);
  // The same cleaning and options as parse_feed: the tree must be the same tree. A
  // document that needs the tolerant second pass takes parse_feed's whole way.
  std::optional<std::string> cleaned = decoded.needs_no_cleaning ? std::nullopt : clean_xml_text(text, warnings);
  std::optional<TreeBuffer> tree;  // before doc: the tree points into it
  pugi::xml_document doc;
  constexpr unsigned kOptions = pugi::parse_default | pugi::parse_ws_pcdata;
  if (!cleaned) tree.emplace(text);
  const pugi::xml_parse_result result =
      cleaned ? doc.load_buffer_inplace(cleaned->data(), cleaned->size(), kOptions, pugi::encoding_utf8)
              : doc.load_buffer_inplace(tree->data(), tree->size(), kOptions, pugi::encoding_utf8);
  if (!result) return keys_from_full_parse(bytes, content_type, url);
  const pugi::xml_node root = doc.document_element();
  const std::string_view local = local_name(root.name());
  const std::string uri = namespace_uri(root);
  if (local == "rss" && ns_of_uri(uri) == Ns::kRss) return scan_rss(root, url);
  if (local == "RDF" && uri == kRdfUri) return scan_rss(root, url);
  if (local == "feed" && (uri == kAtom10Uri || uri == kAtom03Uri)) return scan_atom(root, url);
  return keys_from_full_parse(bytes, content_type, url);
}

}  // namespace feedd
