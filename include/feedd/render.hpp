#pragma once
// render: stories -> the unified feed's bytes. Pure: the same stories and settings give
// the same bytes and the same ETag (so a render can be cached until the store changes).

#include <string>
#include <string_view>
#include <vector>

#include "feedd/config.hpp"
#include "feedd/store.hpp"
#include "feedd/time.hpp"

namespace feedd {

struct RenderedFeed {
  std::string body;
  std::string content_type;  // "application/atom+xml; charset=utf-8"
  std::string etag;          // strong, quoted: "\"<hex>\"", a hash of body
  Timestamp last_modified;   // newest story's updated time (epoch when empty)
};

// Atom 1.0 feed of `stories` (already newest first, already cut to max_entries). Each
// entry keeps its story's uid as <id>, names its origin in <source> and every other source
// that carried it as <link rel="via">. `self_url` is the feed's own address.
RenderedFeed render_atom(const OutputSettings& output, const std::vector<Story>& stories,
                         std::string_view self_url);

}  // namespace feedd
