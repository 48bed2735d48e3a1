#pragma once
// Which feeds feedd publishes, and their pages: the unified feed and one feed per source
// tag, each in Atom, RSS and JSON Feed, at these paths (the same names under output_dir):
//   /feed.atom  /feed.rss  /feed.json  /tags/NAME.atom  /tags/NAME.rss  /tags/NAME.json
// NAME is the tag percent-encoded (RFC 3986 unreserved characters kept).

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/render.hpp"
#include "feedd/serve.hpp"
#include "feedd/store.hpp"

namespace feedd::pipeline {

class FeedRenderer {
 public:
  explicit FeedRenderer(const Config& config);

  // The first page of every feed, by path ("/feed.atom"). Also writes each one to
  // output_dir atomically (errors are logged: the HTTP answers are still good).
  Result<std::vector<std::pair<std::string, RenderedFeed>>> render_first_pages(Store& store) const;

  // An older page ("?before=CURSOR") of one of the feeds; nullopt for an unknown path or
  // a malformed cursor.
  Result<std::optional<RenderedFeed>> render_page(Store& store, const PageRequest& page) const;

  // The feeds' paths, unified first: "/feed.atom", ..., "/tags/NAME.json".
  std::vector<std::string> paths() const;

 private:
  struct Feed {
    std::optional<std::string> tag;  // none: the unified feed
    std::string base;                // "feed" or "tags/NAME", without extension
    OutputSettings output;           // title and id of this feed
  };
  std::optional<std::pair<const Feed*, OutputFormat>> find(std::string_view path) const;
  Result<RenderedFeed> render(Store& store, const Feed& feed, OutputFormat format,
                              std::optional<StoryCursor> before) const;

  std::string link_;  // the output link, ending in '/'
  std::filesystem::path output_dir_;
  std::size_t max_entries_;
  // Output files whose abandoned temporaries were cleared; touched by render_first_pages
  // alone, which only the store thread calls.
  mutable std::set<std::string> temporaries_cleared_;
  std::vector<Feed> feeds_;
};

// "a b/c" -> "a%20b%2Fc": RFC 3986 unreserved characters kept, every other byte escaped.
std::string percent_encode(std::string_view text);

}  // namespace feedd::pipeline
