#pragma once
// One parser per format behind parse_feed(). Each fills `feed` (format already set) from
// a document that detect_format() attributed to it.

#include <pugixml.hpp>

#include <string_view>

#include "feedd/parse.hpp"
#include "parse/entry_digest.hpp"

namespace feedd::parse {

// `raw` gives each entry its raw hash and leaves known ones out (entry_digest.hpp).
void parse_rss(pugi::xml_node root, std::string_view url, const RawEntries& raw, ParsedFeed& feed);
void parse_atom(pugi::xml_node root, std::string_view url, const RawEntries& raw, ParsedFeed& feed);
Result<ParsedFeed> parse_json_feed(std::string_view text, std::string_view url);

}  // namespace feedd::parse
