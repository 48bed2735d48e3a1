// parse_feed: decode the bytes, recognise the format, hand the tree to that format's
// parser, then finish what every format shares (content hashes, UTF-8 guarantee).
#include <pugixml.hpp>

#include <optional>
#include <string>

#include "feedd/dedup.hpp"
#include "feedd/parse.hpp"
#include "parse/encoding.hpp"
#include "parse/format_parsers.hpp"
#include "parse/html_entities.hpp"
#include "parse/text.hpp"
#include "parse/tree_buffer.hpp"
#include "parse/xml_helpers.hpp"
#include "parse/xml_recovery.hpp"

namespace feedd {
namespace {

using namespace parse;

// Skips the XML declaration, comments, processing instructions and the doctype; returns
// the doctype's name and the first element's name as written.
struct Prologue {
  std::string doctype;
  std::string root;
};

Prologue read_prologue(std::string_view text) {
  Prologue prologue;
  size_t i = 0;
  while (i < text.size()) {
    i = text.find('<', i);
    if (i == std::string_view::npos) break;
    const std::string_view rest = text.substr(i);
    if (rest.substr(0, 4) == "<!--") {
      i = text.find("-->", i);
    } else if (rest.substr(0, 2) == "<?") {
      i = text.find("?>", i);
    } else if (rest.size() > 9 && iequals(rest.substr(0, 9), "<!doctype")) {
      const size_t name_start = rest.find_first_not_of(" \t\r\n", 9);
      const size_t name_end = rest.find_first_of(" \t\r\n>[", name_start);
      if (name_start != std::string_view::npos) prologue.doctype = rest.substr(name_start, name_end - name_start);
      i = text.find('>', i);
    } else {
      const size_t end = rest.find_first_of(" \t\r\n/>", 1);
      prologue.root = rest.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1);
      break;
    }
    if (i == std::string_view::npos) break;
    ++i;
  }
  return prologue;
}

Status not_html(const Prologue& prologue) {
  if (iequals(prologue.doctype, "html") || iequals(local_name(prologue.root), "html"))
    return Status::not_a_feed("an HTML page, not a feed");
  return Status::ok();
}

std::string position_of(std::string_view text, std::ptrdiff_t offset) {
  size_t line = 1, column = 1;
  for (std::ptrdiff_t i = 0; i < offset && i < static_cast<std::ptrdiff_t>(text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Result<FeedFormat> detect_format(pugi::xml_node root) {
  const std::string_view name = root.name();
  const std::string_view local = local_name(name);
  const std::string uri = namespace_uri(root);
  if (local == "rss" && ns_of_uri(uri) == Ns::kRss) {
    const std::string_view version = trim(root.attribute("version").value());
    if (version == "0.91") return FeedFormat::kRss091;
    if (version == "0.92") return FeedFormat::kRss092;
    return FeedFormat::kRss20;  // 2.0, and 0.93/0.94 which it absorbed
  }
  if (local == "RDF" && uri == kRdfUri) {
    for (pugi::xml_node child : root.children())
      if (child.type() == pugi::node_element && namespace_uri(child) == kRss090Uri) return FeedFormat::kRss090;
    return FeedFormat::kRss10;
  }
  if (local == "feed") {
    if (uri == kAtom10Uri) return FeedFormat::kAtom10;
    if (uri == kAtom03Uri) return FeedFormat::kAtom03;
  }
  if (iequals(local, "html")) return Status::not_a_feed("an HTML page, not a feed");
  return Status::not_a_feed("unknown root element <" + std::string(name) + ">" +
                            (uri.empty() ? std::string() : " in namespace " + uri));
}

void cap(std::string& text, std::vector<std::string>& warnings) {
  if (text.size() <= kMaxTextBytes) return;
  const size_t cut = utf8_cut(text, kMaxTextBytes);
  warnings.push_back("a text field of " + std::to_string(text.size()) + " bytes cut to " + std::to_string(cut));
  text.resize(cut);
}

void cap(std::optional<std::string>& text, std::vector<std::string>& warnings) {
  if (text) cap(*text, warnings);
}

void cap(std::vector<std::string>& texts, std::vector<std::string>& warnings) {
  for (std::string& text : texts) cap(text, warnings);
}

void cap_text_fields(ParsedFeed& feed) {
  std::vector<std::string>& w = feed.warnings;
  cap(feed.feed.title, w);
  cap(feed.feed.link, w);
  cap(feed.feed.description, w);
  cap(feed.feed.language, w);
  cap(feed.feed.image, w);
  for (Entry& entry : feed.entries) {
    cap(entry.id, w);
    cap(entry.title, w);
    cap(entry.link, w);
    cap(entry.authors, w);
    cap(entry.categories, w);
  }
}

// Most values are valid already: checked in place, copied only when they are not.
void make_valid_utf8(std::string& text) {
  if (!is_valid_utf8(text) || text.find('\0') != std::string::npos) text = to_valid_text(text);
}

void make_valid_utf8(std::optional<std::string>& text) {
  if (text) make_valid_utf8(*text);
}

void make_valid_utf8(std::vector<std::string>& texts) {
  for (std::string& text : texts) make_valid_utf8(text);
}

// pugixml turns numeric references such as &#xD800; into bytes that are not UTF-8; one
// pass at the end keeps the contract without a check in every reader.
void make_valid_utf8(ParsedFeed& feed) {
  make_valid_utf8(feed.feed.title);
  make_valid_utf8(feed.feed.link);
  make_valid_utf8(feed.feed.description);
  make_valid_utf8(feed.feed.language);
  make_valid_utf8(feed.feed.image);
  for (Entry& entry : feed.entries) {
    make_valid_utf8(entry.id);
    make_valid_utf8(entry.title);
    make_valid_utf8(entry.link);
    make_valid_utf8(entry.authors);
    make_valid_utf8(entry.summary);
    make_valid_utf8(entry.content);
    make_valid_utf8(entry.categories);
    for (Enclosure& enclosure : entry.enclosures) {
      make_valid_utf8(enclosure.url);
      make_valid_utf8(enclosure.type);
    }
  }
  make_valid_utf8(feed.warnings);
}

void add_content_hashes(ParsedFeed& feed) {
  for (Entry& entry : feed.entries) {
    const std::string& body = entry.content ? *entry.content : entry.summary ? *entry.summary : std::string();
    entry.content_hash = dedup::content_hash(entry.title.value_or(""), body);
  }
}

// `feed` carries what decoding found out (encoding, warnings).
Result<ParsedFeed> parse_json_document(std::string_view text, std::string_view url, ParsedFeed feed) {
  Result<ParsedFeed> parsed = parse_json_feed(text, url);
  if (parsed) {
    parsed->encoding = feed.encoding;
    parsed->warnings.insert(parsed->warnings.begin(), feed.warnings.begin(), feed.warnings.end());
  }
  return parsed;
}

// Text before the first '<' (a stray byte, a PHP notice, a blank line before the XML
// declaration) is dropped with a warning; nullopt when there is no markup at all.
// A PHP warning printed as HTML ("<br />\n<b>Warning</b>: ...") is the classic case, so an
// XML declaration further on wins over an earlier '<'.
std::optional<std::string_view> skip_leading_junk(std::string_view text, std::vector<std::string>& warnings) {
  if (text.substr(0, 5) == "<?xml") return text;
  size_t start = text.substr(0, 64 * 1024).find("<?xml");
  if (start == std::string_view::npos) start = text.find('<');
  if (start == std::string_view::npos) return std::nullopt;
  if (start == 0) return text;
  warnings.push_back(std::to_string(start) + " byte(s) of junk before the " +
                     (text.compare(start, 5, "<?xml") == 0 ? "XML declaration" : "first element") + " dropped");
  return text.substr(start);
}

constexpr unsigned kPugiOptions = pugi::parse_default | pugi::parse_ws_pcdata;

// The strict parse, then, only when it fails, the tolerant one (xml_recovery.hpp).
// parse_default leaves out parse_doctype, and pugixml never loads external entities;
// whitespace-only text is kept because it separates words in XHTML content.
// `parsed` is set to the text the tree was parsed from (`xml` or, recovered, `rebuilt`),
// which stays as it was: the tree is built in a copy in `tree`, which must outlive `doc`.
Status load_document(std::string_view xml, pugi::xml_document& doc, std::optional<TreeBuffer>& tree,
                     std::vector<std::string>& warnings, std::optional<std::string>& rebuilt,
                     std::string_view& parsed) {
  parsed = xml;
  tree.emplace(xml);
  pugi::xml_parse_result result = doc.load_buffer_inplace(tree->data(), tree->size(), kPugiOptions, pugi::encoding_utf8);
  if (result) return Status::ok();
  if (result.status == pugi::status_no_document_element) return Status::not_a_feed("no XML root element");
  const std::string problem = "not well-formed XML at " + position_of(xml, result.offset) + ": " +
                              result.description();
  rebuilt = rebuild_well_formed(xml);
  if (!rebuilt) return Status::parse(problem);
  doc.reset();  // it may point into the buffer the copy of `rebuilt` goes to
  tree.emplace(*rebuilt);
  result = doc.load_buffer_inplace(tree->data(), tree->size(), kPugiOptions, pugi::encoding_utf8);
  if (!result) return Status::parse(problem);
  parsed = *rebuilt;
  warnings.push_back(problem + "; recovered what could be read");
  return Status::ok();
}

// `needs_no_cleaning`: DecodedDocument's, for the text `text` was trimmed from.
Result<ParsedFeed> parse_xml_document(std::string_view text, bool needs_no_cleaning, std::string_view url,
                                      const KnownEntries* known, ParsedFeed feed) {
  const auto markup = skip_leading_junk(text, feed.warnings);
  if (!markup) return Status::not_a_feed("neither XML nor JSON");
  const Prologue prologue = read_prologue(*markup);
  if (Status html = not_html(prologue); !html.is_ok()) return html;
  if (prologue.root.empty()) return Status::not_a_feed("neither XML nor JSON");
  // The scan's answer holds for `text`, not for what follows junk dropped from it.
  const bool scanned_clean = needs_no_cleaning && markup->data() == text.data();
  const std::optional<std::string> cleaned = scanned_clean ? std::nullopt : clean_xml_text(*markup, feed.warnings);
  std::optional<TreeBuffer> tree;  // before doc: the tree points into it
  pugi::xml_document doc;
  std::optional<std::string> rebuilt;
  RawEntries raw{{}, known};
  if (Status loaded = load_document(cleaned ? *cleaned : *markup, doc, tree, feed.warnings, rebuilt, raw.text);
      !loaded.is_ok())
    return loaded;
  const pugi::xml_node root = doc.document_element();
  Result<FeedFormat> format = detect_format(root);
  if (!format) return format.status();
  feed.format = *format;
  if (feed.format == FeedFormat::kAtom10 || feed.format == FeedFormat::kAtom03) {
    parse_atom(root, url, raw, feed);
  } else {
    parse_rss(root, url, raw, feed);
  }
  return feed;
}

}  // namespace

namespace {

Result<ParsedFeed> parse_document(std::string_view bytes, std::string_view content_type, std::string_view url,
                                  const KnownEntries* known) {
  if (trim(bytes).empty()) return Status::not_a_feed("empty document");
  ParsedFeed feed;
  DecodedDocument decoded;
  decode_document(bytes, content_type, feed.warnings, decoded);
  feed.encoding = decoded.encoding;
  const std::string_view text = trim(decoded.text);
  if (text.empty()) return Status::not_a_feed("empty document");

  Result<ParsedFeed> parsed = text.front() == '{' ? parse_json_document(text, url, std::move(feed))
                                                  : parse_xml_document(text, decoded.needs_no_cleaning, url, known, std::move(feed));
  if (!parsed) return parsed;
  cap_text_fields(*parsed);
  add_content_hashes(*parsed);
  make_valid_utf8(*parsed);
  return parsed;
}

}  // namespace

Result<ParsedFeed> parse_feed(std::string_view bytes, std::string_view content_type, std::string_view url) {
  return parse_document(bytes, content_type, url, nullptr);
}

Result<ParsedFeed> parse_feed(std::string_view bytes, std::string_view content_type, std::string_view url,
                              const KnownEntries& known) {
  return parse_document(bytes, content_type, url, &known);
}

std::string_view format_name(FeedFormat format) {
  switch (format) {
    case FeedFormat::kRss090: return "rss0.90";
    case FeedFormat::kRss091: return "rss0.91";
    case FeedFormat::kRss092: return "rss0.92";
    case FeedFormat::kRss10: return "rss1.0";
    case FeedFormat::kRss20: return "rss2.0";
    case FeedFormat::kAtom03: return "atom0.3";
    case FeedFormat::kAtom10: return "atom1.0";
    case FeedFormat::kJsonFeed10: return "jsonfeed1.0";
    case FeedFormat::kJsonFeed11: return "jsonfeed1.1";
  }
  return "unknown";
}

}  // namespace feedd
