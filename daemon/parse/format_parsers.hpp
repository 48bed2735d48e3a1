#pragma once
// One parser per format behind parse_feed(). Each fills `feed` (format already set) from
// a document that detect_format() attributed to it.

#include <pugixml.hpp>

#include <string_view>

#include "feedd/parse.hpp"

namespace feedd::parse {

void parse_rss(pugi::xml_node root, std::string_view url, ParsedFeed& feed);
void parse_atom(pugi::xml_node root, std::string_view url, ParsedFeed& feed);
Result<ParsedFeed> parse_json_feed(std::string_view text, std::string_view url);

}  // namespace feedd::parse
