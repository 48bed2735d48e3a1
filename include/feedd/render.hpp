#pragma once
// render: stories -> the unified feed's bytes. Pure: the same stories and settings give
// the same bytes and the same ETag (so a render can be cached until the store changes).

#include <optional>
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
  std::string gzip_body;     // the body gzip-compressed once per render ("" if that failed)
  std::string gzip_etag;     // the compressed copy's own strong validator
};

// The addresses a feed page names: its own, and the next older page's when there is one.
struct FeedLinks {
  std::string self_url;
  std::optional<std::string> next_url;  // RFC 5005 rel="next" (Atom, RSS), next_url (JSON Feed)
};

enum class OutputFormat { kAtom, kRss, kJson };
inline constexpr OutputFormat kAllOutputFormats[] = {OutputFormat::kAtom, OutputFormat::kRss, OutputFormat::kJson};
// "atom", "rss", "json": the file extension and the last part of the feed's path.
std::string_view extension(OutputFormat format);
std::optional<OutputFormat> format_for_extension(std::string_view extension);

// Atom 1.0 feed of `stories` (already newest first, already cut to max_entries). Each
// entry keeps its story's uid as <id>, names its origin in <source> and every other source
// that carried it as <link rel="via">. `self_url` is the feed's own address.
RenderedFeed render_atom(const OutputSettings& output, const std::vector<Story>& stories,
                         std::string_view self_url);
RenderedFeed render_atom(const OutputSettings& output, const std::vector<Story>& stories, const FeedLinks& links);

// RSS 2.0 with the Atom extension for its self and next links. Each item names its origin
// in <source url>, the other sources as <atom:link rel="via">, and all of them in its text.
RenderedFeed render_rss(const OutputSettings& output, const std::vector<Story>& stories, const FeedLinks& links);

// JSON Feed 1.1. Each item lists its sources in the extension object "_feedd":
// {"sources": [{"url", "name", "entry_url", "first_seen", "merge_reason"}...]}, origin first.
RenderedFeed render_json_feed(const OutputSettings& output, const std::vector<Story>& stories,
                              const FeedLinks& links);

RenderedFeed render_feed(OutputFormat format, const OutputSettings& output, const std::vector<Story>& stories,
                         const FeedLinks& links);

// Sets the ETag and makes the gzip copy; every render_* above ends with it.
void finish_render(RenderedFeed& feed);

}  // namespace feedd
