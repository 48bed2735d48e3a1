#include "parse/xml_helpers.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "parse/url_resolver.hpp"

namespace feedd::parse {
namespace {

void append_escaped(std::string& out, std::string_view text, bool in_attribute) {
  const std::string_view special = in_attribute ? std::string_view("&<>\"") : std::string_view("&<>");
  // Text between the characters to escape is appended a run at a time.
  for (size_t i = 0; i < text.size();) {
    const size_t at = std::min(text.find_first_of(special, i), text.size());
    out.append(text.data() + i, at - i);
    if (at == text.size()) break;
    const char c = text[at];
    out += c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : "&quot;";
    i = at + 1;
  }
}

void write_start_tag(std::string& out, pugi::xml_node element) {
  out += '<';
  out += local_name(element.name());
  for (pugi::xml_attribute attr : element.attributes()) {
    const std::string_view name = attr.name();
    if (name == "xmlns" || name.substr(0, 6) == "xmlns:") continue;
    out += ' ';
    out += local_name(name);
    out += "=\"";
    append_escaped(out, attr.value(), true);
    out += '"';
  }
  out += '>';
}

void write_end_tag(std::string& out, pugi::xml_node element) {
  out += "</";
  out += local_name(element.name());
  out += '>';
}

}  // namespace

Ns ns_of_uri(std::string_view uri) {
  if (uri.empty() || uri == "http://purl.org/rss/1.0/" || uri == kRss090Uri || uri == "http://backend.userland.com/rss2" ||
      uri == "http://blogs.law.harvard.edu/tech/rss")
    return Ns::kRss;
  if (uri == kAtom10Uri) return Ns::kAtom10;
  if (uri == kAtom03Uri) return Ns::kAtom03;
  if (uri == kRdfUri) return Ns::kRdf;
  if (uri == "http://purl.org/dc/elements/1.1/") return Ns::kDc;
  if (uri == "http://purl.org/dc/terms/") return Ns::kDcTerms;
  if (uri == "http://purl.org/rss/1.0/modules/content/") return Ns::kContent;
  if (uri == "http://www.w3.org/1999/xhtml") return Ns::kXhtml;
  if (uri == "http://search.yahoo.com/mrss/" || uri == "http://search.yahoo.com/mrss") return Ns::kMedia;
  if (uri == "http://www.itunes.com/dtds/podcast-1.0.dtd" || uri == "https://www.itunes.com/dtds/podcast-1.0.dtd")
    return Ns::kItunes;
  if (uri == "http://purl.org/rss/1.0/modules/slash/") return Ns::kSlash;
  if (uri == "http://rssnamespace.org/feedburner/ext/1.0") return Ns::kFeedburner;
  if (uri == "http://purl.org/rss/1.0/modules/syndication/") return Ns::kSy;
  return Ns::kOther;
}

std::string_view local_name(std::string_view qualified) {
  const size_t colon = qualified.find(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

namespace {

// Whether an attribute named `name` declares the namespace of `prefix` ("": the default).
// Compared in place, without measuring the name first: every ancestor's every attribute
// is asked this, for every element whose namespace is wanted.
bool declares(const char* name, std::string_view prefix) {
  if (std::strncmp(name, "xmlns", 5) != 0) return false;
  if (prefix.empty()) return name[5] == '\0';
  return name[5] == ':' && std::strncmp(name + 6, prefix.data(), prefix.size()) == 0 && name[6 + prefix.size()] == '\0';
}

// Called for every child of every entry: no allocation, and the URI stays in the tree.
std::string_view namespace_uri_view(pugi::xml_node element) {
  const std::string_view name = element.name();
  const size_t colon = name.find(':');
  const std::string_view prefix = colon == std::string_view::npos ? std::string_view() : name.substr(0, colon);
  for (pugi::xml_node n = element; n && n.type() == pugi::node_element; n = n.parent())
    for (pugi::xml_attribute attr : n.attributes())
      if (declares(attr.name(), prefix)) return attr.value();
  return {};
}

}  // namespace

std::string namespace_uri(pugi::xml_node element) { return std::string(namespace_uri_view(element)); }

Ns ns_of(pugi::xml_node element) { return ns_of_uri(namespace_uri_view(element)); }

pugi::xml_attribute attribute_by_local_name(pugi::xml_node element, std::string_view local) {
  for (pugi::xml_attribute attr : element.attributes())
    if (local_name(attr.name()) == local) return attr;
  return {};
}

std::string all_text(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node n = node.first_child(); n;) {
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) out += n.value();
    if (n.type() == pugi::node_element && n.first_child()) {
      n = n.first_child();
      continue;
    }
    while (n && n != node && !n.next_sibling()) n = n.parent();
    if (!n || n == node) break;
    n = n.next_sibling();
  }
  return out;
}

bool has_element_children(pugi::xml_node node) {
  for (pugi::xml_node child : node.children())
    if (child.type() == pugi::node_element) return true;
  return false;
}

std::string inner_xml(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node n = node.first_child(); n;) {
    if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) append_escaped(out, n.value(), false);
    if (n.type() == pugi::node_element) {
      write_start_tag(out, n);
      if (n.first_child()) {
        n = n.first_child();
        continue;
      }
      write_end_tag(out, n);
    }
    while (n && n != node && !n.next_sibling()) {
      n = n.parent();
      if (n != node) write_end_tag(out, n);
    }
    if (!n || n == node) break;
    n = n.next_sibling();
  }
  return out;
}

std::string base_of(pugi::xml_node node, std::string_view document_url, std::string_view page_base) {
  std::vector<std::string_view> bases;
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent())
    if (pugi::xml_attribute attr = n.attribute("xml:base")) bases.push_back(attr.value());
  if (bases.empty()) return std::string(page_base);
  std::string base(document_url);
  for (auto it = bases.rbegin(); it != bases.rend(); ++it) base = resolve_url(base, *it);
  return base;
}

}  // namespace feedd::parse
