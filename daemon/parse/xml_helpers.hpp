#pragma once
// pugixml is not namespace-aware; these helpers resolve the few namespaces feeds use and
// read text, markup and xml:base the way the feed parsers need.

#include <pugixml.hpp>

#include <string>
#include <string_view>

namespace feedd::parse {

// The namespaces the field tables speak about. kRss covers every URI that RSS's own
// elements appear under (none, RSS 1.0, RSS 0.90, Userland's RSS 2.0).
enum class Ns {
  kOther, kRss, kAtom10, kAtom03, kRdf, kDc, kDcTerms, kContent, kXhtml,
  kMedia, kItunes, kSlash, kFeedburner, kSy
};

inline constexpr std::string_view kAtom10Uri = "http://www.w3.org/2005/Atom";
inline constexpr std::string_view kAtom03Uri = "http://purl.org/atom/ns#";
inline constexpr std::string_view kRdfUri = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
inline constexpr std::string_view kRss090Uri = "http://my.netscape.com/rdf/simple/0.9/";

Ns ns_of_uri(std::string_view uri);
// The namespace URI of an element, from the xmlns declarations in scope.
std::string namespace_uri(pugi::xml_node element);
Ns ns_of(pugi::xml_node element);
// "content:encoded" -> "encoded"
std::string_view local_name(std::string_view qualified);
// The attribute whose local name is `local`, whatever its prefix ("rdf:about").
pugi::xml_attribute attribute_by_local_name(pugi::xml_node element, std::string_view local);

// All character data under `node` (text and CDATA), in document order.
std::string all_text(pugi::xml_node node);
// The children of `node` written back as markup, prefixes stripped from element names
// and xmlns declarations dropped (for XHTML content and unescaped HTML in RSS).
std::string inner_xml(pugi::xml_node node);
bool has_element_children(pugi::xml_node node);

// The base URI in effect at `node`. Under an xml:base: `document_url` refined by every
// xml:base from the outermost ancestor inwards. Elsewhere: `page_base` (the feed's own
// link when it has one, else the document's URL).
std::string base_of(pugi::xml_node node, std::string_view document_url, std::string_view page_base);

}  // namespace feedd::parse
