// The HTML sanitiser: libxml2's HTML parser builds a tree (it is a real tokenizer that
// knows the HTML error-recovery rules), and an iterative walk writes back only what an
// allow-list accepts, modelled on python feedparser's _HTMLSanitizer.
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
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
constexpr std::string_view kSafeSchemes[] = {"http", "https", "mailto"};

// Block boundaries become spaces in plain text, so "<p>a</p><p>b</p>" reads "a b".
constexpr std::string_view kBlockElements[] = {
    "address", "article", "aside",  "blockquote", "br",     "caption", "dd",     "details", "div",
    "dl",      "dt",      "figcaption", "figure", "footer", "h1",      "h2",     "h3",      "h4",
    "h5",      "h6",      "header", "hr",         "li",     "ol",      "p",      "pre",     "section",
    "table",   "tbody",   "td",     "tfoot",      "th",     "thead",   "tr",     "ul",      "summary"};


std::string_view name_of(const xmlNode* node) {
  return node->name ? reinterpret_cast<const char*>(node->name) : std::string_view{};
}

void append_escaped(std::string& out, std::string_view text, bool in_attribute) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"':
        if (in_attribute) {
          out += "&quot;";
          break;
        }
        [[fallthrough]];
      default: out += c;
    }
  }
}

// A URL attribute's value as libxml2 decoded it (entities already resolved), judged the
// way a browser would read it: WHATWG's URL parser strips leading and trailing C0
// controls and spaces and removes tab, LF and CR anywhere, so "jav&#x09;ascript:" and
// " JAVASCRIPT:" both mean javascript:. Anything before the first ':' that is not a
// clean scheme is refused rather than interpreted.
std::optional<std::string> safe_url(std::string_view raw, std::string_view base_url) {
  std::string value;
  for (char c : raw)
    if (c != '\t' && c != '\n' && c != '\r') value += c;
  const auto is_c0_or_space = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
  while (!value.empty() && is_c0_or_space(value.back())) value.pop_back();
  const auto first = std::find_if_not(value.begin(), value.end(), is_c0_or_space);
  value.erase(value.begin(), first);
  const size_t delimiter = value.find_first_of(":/?#");
  if (delimiter != std::string::npos && value[delimiter] == ':') {
    const std::string scheme = parse::url_scheme(value);
    if (scheme.empty() || !contains(kSafeSchemes, scheme)) return std::nullopt;
    return scheme == "mailto" ? value : parse::resolve_url({}, value);
  }
  std::string resolved = parse::resolve_url(base_url, value);
  const std::string scheme = parse::url_scheme(resolved);
  if (!scheme.empty() && !contains(kSafeSchemes, scheme)) return std::nullopt;
  return resolved;
}

std::string attribute_value(const xmlAttr* attr) {
  std::unique_ptr<xmlChar, decltype(xmlFree)> value(xmlNodeGetContent(reinterpret_cast<const xmlNode*>(attr)),
                                                     xmlFree);
  return value ? reinterpret_cast<const char*>(value.get()) : "";
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
  std::string wrapped = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>";
  std::string clean = to_valid_utf8(html);
  clean.erase(std::remove(clean.begin(), clean.end(), '\0'), clean.end());
  wrapped += clean;
  wrapped += "</body></html>";
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
  explicit SanitizingWriter(std::string_view base_url) : base_url_(base_url) {}

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
    std::string start = "<" + std::string(name);
    bool has_src = false;
    for (const xmlAttr* attr = node->properties; attr; attr = attr->next) {
      const std::string_view attr_name = reinterpret_cast<const char*>(attr->name);
      if (!contains(kAllowedAttributes, attr_name)) continue;
      std::optional<std::string> value = attribute_value(attr);
      if (contains(kUrlAttributes, attr_name)) value = safe_url(*value, base_url_);
      if (!value) continue;
      has_src = has_src || attr_name == "src";
      start += " " + std::string(attr_name) + "=\"";
      append_escaped(start, *value, true);
      start += '"';
    }
    if (name == "img" && !has_src) {  // nothing left to show
      closers_.emplace_back();
      return false;
    }
    out_ += start + ">";
    closers_.push_back(contains(kVoidElements, name) ? std::string() : "</" + std::string(name) + ">");
    return !contains(kVoidElements, name);
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

std::string sanitize_html(std::string_view html, std::string_view base_url) {
  if (parse::trim(html).empty()) return {};
  auto [doc, body] = parse_fragment(html);
  if (!body) return {};
  SanitizingWriter writer(base_url);
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
