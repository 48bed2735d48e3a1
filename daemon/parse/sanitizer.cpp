// The HTML sanitiser: libxml2's HTML parser builds a tree (it is a real tokenizer that
// knows the HTML error-recovery rules), and an iterative walk writes back only what an
// allow-list accepts, modelled on python feedparser's _HTMLSanitizer.
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "feedd/sanitize.hpp"
#include "parse/simple_html.hpp"
#include "parse/text.hpp"
#include "parse/url_resolver.hpp"

namespace feedd {
namespace {

using parse::collapse_whitespace;
using parse::to_valid_utf8;

// Deeper elements are unwrapped (their text kept, their tags dropped): the output stays
// bounded however deeply a hostile document nests.
constexpr size_t kMaxDepth = 100;

template <size_t N>
bool contains(const std::string_view (&set)[N], std::string_view name) {
  return std::find(std::begin(set), std::end(set), name) != std::end(set);
}

// Dropped together with everything inside them.
constexpr std::string_view kDropWithContent[] = {
    "script", "style",  "iframe", "frame",  "frameset", "object", "embed",    "applet",   "form",
    "input",  "button", "select", "option", "textarea", "meta",   "link",     "base",     "svg",
    "math",   "template", "noscript", "title", "head",  "param",  "noframes", "noembed"};

constexpr std::string_view kAllowedElements[] = {
    "a",      "abbr",   "acronym", "address", "article", "aside",   "audio",      "b",       "bdi",    "bdo",
    "big",    "blockquote", "br",  "caption", "center",  "cite",    "code",       "col",     "colgroup", "dd",
    "del",    "details", "dfn",    "div",     "dl",      "dt",      "em",         "figcaption", "figure", "footer",
    "h1",     "h2",     "h3",      "h4",      "h5",      "h6",      "header",     "hr",      "i",      "img",
    "ins",    "kbd",    "li",      "mark",    "ol",      "p",       "pre",        "q",       "s",      "samp",
    "section", "small", "source",  "span",    "strike",  "strong",  "sub",        "summary", "sup",    "table",
    "tbody",  "td",     "tfoot",   "th",      "thead",   "tr",      "time",       "tt",      "u",      "ul",
    "var",    "video",  "wbr",     "ruby"};

constexpr std::string_view kVoidElements[] = {"br", "hr", "img", "wbr", "col", "source"};

constexpr std::string_view kAllowedAttributes[] = {
    "abbr",  "align",   "alt",    "cite",  "colspan", "controls", "datetime", "dir",
    "headers", "height", "href",  "hreflang", "lang", "open",     "poster",   "reversed",
    "rowspan", "scope", "span",   "src",   "start",   "summary",  "title",    "type",
    "valign", "value",  "width"};

constexpr std::string_view kUrlAttributes[] = {"href", "src", "cite", "poster"};

// Block boundaries become spaces in plain text, so "<p>a</p><p>b</p>" reads "a b".
constexpr std::string_view kBlockElements[] = {
    "address", "article", "aside",  "blockquote", "br",     "caption", "dd",     "details", "div",
    "dl",      "dt",      "figcaption", "figure", "footer", "h1",      "h2",     "h3",      "h4",
    "h5",      "h6",      "header", "hr",         "li",     "ol",      "p",      "pre",     "section",
    "table",   "tbody",   "td",     "tfoot",      "th",     "thead",   "tr",     "ul",      "summary"};


std::string_view name_of(const xmlNode* node) {
  return node->name ? reinterpret_cast<const char*>(node->name) : std::string_view{};
}

// Text between the characters to escape is appended a run at a time: a character at a
// time, this was the full parse's hottest function of our own.
void append_escaped(std::string& out, std::string_view text, bool in_attribute) {
  const auto special = [in_attribute](char c) {
    return c == '&' || c == '<' || c == '>' || (in_attribute && c == '"');
  };
  for (size_t i = 0; i < text.size();) {
    size_t at = i;
    while (at < text.size() && !special(text[at])) ++at;
    out.append(text.data() + i, at - i);
    if (at == text.size()) break;
    const char c = text[at];
    out += c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : "&quot;";
    i = at + 1;
  }
}

std::string attribute_value(const xmlAttr* attr) {
  std::unique_ptr<xmlChar, decltype(xmlFree)> value(xmlNodeGetContent(reinterpret_cast<const xmlNode*>(attr)),
                                                     xmlFree);
  return value ? reinterpret_cast<const char*>(value.get()) : "";
}

// libxml2's HTML parser stops reading at 256 open elements (xmlParserMaxDepth): the text
// below that depth and everything after it in the fragment would be lost. A fragment that
// may nest that deep has its start and end tags past kFlattenBelow open elements removed
// before parsing, their text kept, as the walk unwraps below kMaxDepth anyway. Depth is
// counted the simple way (void elements and "/>" don't nest, implied end tags are not
// known), which can only overcount, so real documents, which never come near, are
// passed through untouched.
constexpr size_t kFlattenBelow = 200;

bool is_tag_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

constexpr std::string_view kVoidForDepth[] = {"area", "base", "br",   "col",   "embed", "hr",    "img",
                                              "input", "link", "meta", "param", "source", "track", "wbr"};

// Calls `tag(start, end, opens)` for every start or end tag of `html` ([start, end) its
// bytes), where `opens` is +1 for a start tag that nests, -1 for an end tag, 0 otherwise.
template <typename TagVisitor>
void scan_tags(std::string_view html, TagVisitor&& tag) {
  for (size_t at = html.find('<'); at != std::string_view::npos && at + 1 < html.size(); at = html.find('<', at)) {
    if (html.compare(at, 4, "<!--") == 0) {
      const size_t close = html.find("-->", at + 4);
      at = close == std::string_view::npos ? html.size() : close + 3;
      continue;
    }
    const bool end_tag = html[at + 1] == '/';
    const size_t name_start = at + (end_tag ? 2 : 1);
    if (name_start >= html.size() || !is_tag_name_start(html[name_start])) {
      ++at;
      continue;
    }
    const size_t close = html.find('>', name_start);
    const size_t end = close == std::string_view::npos ? html.size() : close + 1;
    size_t name_end = name_start;
    while (name_end < end && std::isalnum(static_cast<unsigned char>(html[name_end]))) ++name_end;
    std::string name(html.substr(name_start, name_end - name_start));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    int opens = end_tag ? -1 : 1;
    if (!end_tag && (contains(kVoidForDepth, name) || (end >= 2 && html[end - 2] == '/'))) opens = 0;
    tag(at, end, opens);
    at = end;
  }
}

std::string bound_nesting(std::string html) {
  size_t depth = 0, deepest = 0;
  scan_tags(html, [&](size_t, size_t, int opens) {
    if (opens > 0) deepest = std::max(deepest, ++depth);
    if (opens < 0 && depth > 0) --depth;
  });
  if (deepest <= kFlattenBelow) return html;
  std::string out;
  out.reserve(html.size());
  size_t copied = 0;
  depth = 0;
  scan_tags(html, [&](size_t start, size_t end, int opens) {
    bool keep = true;
    if (opens > 0) keep = ++depth <= kFlattenBelow;
    if (opens < 0) {
      keep = depth <= kFlattenBelow;
      if (depth > 0) --depth;
    }
    out.append(html, copied, (keep ? end : start) - copied);
    copied = end;
  });
  out.append(html, copied, std::string::npos);
  return out;
}

struct DocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

// Parses `html` as the content of a <body>; returns the document (owning) and the body.
std::pair<DocPtr, xmlNode*> parse_fragment(std::string_view html) {
  static std::once_flag init;
  // xmlInitParser is not thread-safe itself; everything after it is, per parser context.
  std::call_once(init, [] { xmlInitParser(); });
  constexpr std::string_view kBefore = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>";
  constexpr std::string_view kAfter = "</body></html>";
  // The usual fragment (valid UTF-8, no NUL, shallow) is copied once, into `wrapped`.
  std::string_view body = html;
  std::string repaired;
  if (!parse::is_valid_utf8(html) || html.find('\0') != std::string_view::npos) {
    repaired = to_valid_utf8(html);
    repaired.erase(std::remove(repaired.begin(), repaired.end(), '\0'), repaired.end());
    body = repaired;
  }
  // No deeper than its number of '<': most fragments need no reading of their tags.
  if (static_cast<size_t>(std::count(body.begin(), body.end(), '<')) > kFlattenBelow) {
    repaired = bound_nesting(std::string(body));
    body = repaired;
  }
  std::string wrapped;
  wrapped.reserve(kBefore.size() + body.size() + kAfter.size());
  wrapped += kBefore;
  wrapped += body;
  wrapped += kAfter;
  DocPtr doc(htmlReadMemory(wrapped.data(), static_cast<int>(wrapped.size()), nullptr, "UTF-8",
                            HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET));
  if (!doc) return {nullptr, nullptr};
  xmlNode* root = xmlDocGetRootElement(doc.get());
  for (xmlNode* child = root ? root->children : nullptr; child; child = child->next)
    if (child->type == XML_ELEMENT_NODE && name_of(child) == "body") return {std::move(doc), child};
  return {std::move(doc), nullptr};
}

// Visits every node under `container` in document order without recursion. `enter`
// returns whether to descend; `leave` runs for every entered node after its children.
template <typename Visitor>
void walk(xmlNode* container, Visitor& visitor) {
  std::vector<xmlNode*> open;
  xmlNode* node = container->children;
  while (node) {
    if (visitor.enter(node, open.size()) && node->children) {
      open.push_back(node);
      node = node->children;
      continue;
    }
    visitor.leave(node);
    while (!node->next && !open.empty()) {
      node = open.back();
      open.pop_back();
      visitor.leave(node);
    }
    node = node->next;
  }
}

class SanitizingWriter {
 public:
  // `expected_size`: the fragment's, which the output rarely outgrows by much.
  SanitizingWriter(std::string_view base_url, size_t expected_size) : base_url_(base_url) {
    out_.reserve(expected_size + expected_size / 8);
  }

  bool enter(xmlNode* node, size_t depth) {
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      if (node->content) append_escaped(out_, reinterpret_cast<const char*>(node->content), false);
      return false;
    }
    if (node->type != XML_ELEMENT_NODE) return false;
    const std::string_view name = name_of(node);
    if (contains(kDropWithContent, name)) {
      closers_.emplace_back();
      return false;
    }
    if (!contains(kAllowedElements, name) || depth >= kMaxDepth) {
      closers_.emplace_back();
      return true;
    }
    std::string start;
    start.reserve(64);
    start += '<';
    start += name;
    bool has_src = false;
    for (const xmlAttr* attr = node->properties; attr; attr = attr->next) {
      const std::string_view attr_name = reinterpret_cast<const char*>(attr->name);
      if (!contains(kAllowedAttributes, attr_name)) continue;
      std::optional<std::string> value = attribute_value(attr);
      // libxml2 decoded the entities ("&#106;avascript:"); safe_url reads the rest as a
      // browser would (url_resolver.hpp).
      if (contains(kUrlAttributes, attr_name)) value = parse::safe_url(base_url_, *value);
      if (!value) continue;
      has_src = has_src || attr_name == "src";
      start += ' ';
      start += attr_name;
      start += "=\"";
      append_escaped(start, *value, true);
      start += '"';
    }
    if (name == "img" && !has_src) {  // nothing left to show
      closers_.emplace_back();
      return false;
    }
    out_ += start;
    out_ += '>';
    // libxml2 2.9 predates HTML5's void elements <wbr> and <source>: it opens them like
    // any unknown element, so the text that follows lands inside. Their children are
    // written after them, with no closing tag, as a browser would read them.
    closers_.push_back(contains(kVoidElements, name) ? std::string() : "</" + std::string(name) + ">");
    return true;
  }

  void leave(xmlNode* node) {
    if (node->type != XML_ELEMENT_NODE) return;
    out_ += closers_.back();
    closers_.pop_back();
  }

  std::string take() { return std::move(out_); }

 private:
  std::string_view base_url_;
  std::string out_;
  std::vector<std::string> closers_;
};

class TextWriter {
 public:
  bool enter(xmlNode* node, size_t /*depth*/) {
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      if (node->content) out_ += reinterpret_cast<const char*>(node->content);
      return false;
    }
    if (node->type != XML_ELEMENT_NODE) return false;
    const std::string_view name = name_of(node);
    if (contains(kDropWithContent, name)) return false;
    if (contains(kBlockElements, name)) out_ += ' ';
    return true;
  }

  void leave(xmlNode* node) {
    if (node->type == XML_ELEMENT_NODE && contains(kBlockElements, name_of(node))) out_ += ' ';
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

// Plain text may still spell a tag: "&amp;lt;script&amp;gt;" decodes to the text
// "<script>". Atom says type="text" and JSON Feed's title is text, but RSS readers take
// <title> for HTML, as do careless readers of any format. A '<' that would open a tag
// (followed by a letter, '/', '!' or '?') becomes U+2039 '‹', which reads the same and
// opens nothing; "3 < 4" and "<3" stay. An unclosed one counts too: pasted into a page,
// "a<img src=x onerror=..." is closed by the page's next '>'.
std::string defuse_tags(std::string text) {
  constexpr std::string_view kLookalike = "\xE2\x80\xB9";
  for (size_t at = text.find('<'); at != std::string::npos; at = text.find('<', at + 1)) {
    const char next = at + 1 < text.size() ? text[at + 1] : ' ';
    const bool letter = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z');
    if (!letter && next != '/' && next != '!' && next != '?') continue;
    text.replace(at, 1, kLookalike);
  }
  return text;
}

std::string sanitize_html(std::string_view html, std::string_view base_url) {
  if (parse::trim(html).empty()) return {};
  auto [doc, body] = parse_fragment(html);
  if (!body) return {};
  SanitizingWriter writer(base_url, html.size());
  walk(body, writer);
  std::string out = writer.take();
  if (!parse::is_valid_utf8(out)) out = to_valid_utf8(out);
  return out;
}

std::string html_to_text(std::string_view html) {
  // Most titles carry no markup at all: skip the HTML parser for them.
  if (html.find_first_of("<&") == std::string_view::npos) return collapse_whitespace(to_valid_utf8(html));
  // Plain markup (most bodies, and the sanitiser's own output) needs no second libxml2 pass.
  if (std::string text; html.size() < (1 << 20) && parse::strip_simple_html(html, text))
    return collapse_whitespace(text);
  auto [doc, body] = parse_fragment(html);
  if (!body) return {};
  TextWriter writer;
  walk(body, writer);
  return collapse_whitespace(to_valid_utf8(writer.take()));
}

}  // namespace feedd
