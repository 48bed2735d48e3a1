#pragma once
// opml: the subscription lists feed readers exchange (OPML 2.0), read into [[feed]] tables
// for feeds.conf and written from a Config. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/status.hpp"

namespace feedd {

struct OpmlFeed {
  std::string url;                   // xmlUrl
  std::optional<std::string> title;  // title, else text
  std::vector<std::string> tags;     // from `category` and the folders it sits in
};

// Every outline with an xmlUrl, in document order, first occurrence of a URL only.
// Folder names and categories become tags in feeds.conf's form (lower case, words joined
// by '-'). Errors: Status::parse when the document is not OPML.
Result<std::vector<OpmlFeed>> read_opml(std::string_view document);

// `[[feed]]` tables, ready to append to feeds.conf.
std::string to_feed_tables(const std::vector<OpmlFeed>& feeds);

// OPML 2.0 of the configured sources (local files included as file: URLs), each with
// its tags in `category`.
std::string write_opml(const Config& config);

}  // namespace feedd
