// JSON Feed 1.1 (https://jsonfeed.org/version/1.1) rendering of the unified feed. Every
// item lists the sources that carried it in the extension object "_feedd" (the spec
// reserves names starting with an underscore for extensions).

#include <nlohmann/json.hpp>

#include "feedd/render.hpp"
#include "feedd/sanitize.hpp"
#include "render/text.hpp"

namespace feedd {

namespace {

using nlohmann::json;

constexpr const char* kJsonFeedContentType = "application/feed+json; charset=utf-8";

// nlohmann-json throws on invalid UTF-8 when dumping; xml_safe repairs it (and drops
// control characters nobody wants in a feed either).
std::string safe(std::string_view text) { return render::xml_safe(text); }

json sources_json(const Story& story) {
  json sources = json::array();
  for (const StorySource& source : story.sources) {
    json item = {{"url", safe(source.url)}, {"name", safe(source.name)},
                 {"first_seen", format_rfc3339(source.first_seen)}};
    if (source.entry_link) item["entry_url"] = safe(*source.entry_link);
    if (source.merge_reason) item["merge_reason"] = safe(*source.merge_reason);
    sources.push_back(std::move(item));
  }
  return sources;
}

json item_json(const Story& story) {
  json item = {{"id", story.uid}};
  if (story.link) item["url"] = safe(*story.link);
  if (story.title) item["title"] = safe(*story.title);
  const std::string note = story.sources.size() > 1 ? render::sources_note_html(story) : std::string();
  if (story.content) {
    item["content_html"] = safe(*story.content + note);
    // JSON Feed's summary is plain text; what still spells a tag is defused.
    if (story.summary) item["summary"] = safe(defuse_tags(html_to_text(*story.summary)));
  } else {
    // JSON Feed requires content_html or content_text; the summary is all there is.
    item["content_html"] = safe(story.summary.value_or("") + note);
  }
  if (story.published) item["date_published"] = format_rfc3339(*story.published);
  item["date_modified"] = format_rfc3339(story.updated);
  if (!story.authors.empty()) {
    json authors = json::array();
    for (const std::string& author : story.authors) authors.push_back({{"name", safe(author)}});
    item["authors"] = std::move(authors);
  }
  if (!story.categories.empty()) {
    json tags = json::array();
    for (const std::string& category : story.categories) tags.push_back(safe(category));
    item["tags"] = std::move(tags);
  }
  if (!story.enclosures.empty()) {
    json attachments = json::array();
    for (const Enclosure& enclosure : story.enclosures) {
      json attachment = {{"url", safe(enclosure.url)},
                         {"mime_type", safe(enclosure.type.value_or("application/octet-stream"))}};
      if (enclosure.length) attachment["size_in_bytes"] = *enclosure.length;
      attachments.push_back(std::move(attachment));
    }
    item["attachments"] = std::move(attachments);
  }
  item["_feedd"] = {{"sources", sources_json(story)}};
  return item;
}

// The dump with '<', '>' and '&' written as \u003c, \u003e, \u0026 and U+2028 and U+2029
// as \u2028, \u2029: the same JSON to every parser, but a reader that embeds it in a
// <script> element of its page can't have it closed early ("</script>", "<!--"), and
// JavaScript before ES2019 does not take the two separators for line ends. Outside
// strings a dump holds only ASCII punctuation, digits and literals, so every match is
// inside a string.
std::string html_safe_json(const std::string& dumped) {
  std::string out;
  out.reserve(dumped.size() + dumped.size() / 8);
  for (size_t i = 0; i < dumped.size(); ++i) {
    const char c = dumped[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && dumped.compare(i + 1, 2, "\x80\xA8") == 0) {
      out += "\\u2028";
      i += 2;
    } else if (c == '\xE2' && dumped.compare(i + 1, 2, "\x80\xA9") == 0) {
      out += "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

RenderedFeed render_json_feed(const OutputSettings& output, const std::vector<Story>& stories,
                              const FeedLinks& links) {
  json feed = {{"version", "https://jsonfeed.org/version/1.1"},
               {"title", safe(output.title)},
               {"home_page_url", safe(output.link)},
               {"feed_url", safe(links.self_url)}};
  if (links.next_url) feed["next_url"] = safe(*links.next_url);
  feed["_feedd"] = {{"id", safe(output.id)}, {"generator", "feedd " FEEDD_VERSION}};
  json items = json::array();
  for (const Story& story : stories) items.push_back(item_json(story));
  feed["items"] = std::move(items);

  RenderedFeed rendered;
  rendered.body = html_safe_json(feed.dump(2)) + "\n";
  rendered.content_type = kJsonFeedContentType;
  rendered.last_modified = render::newest_update(stories);
  finish_render(rendered);
  return rendered;
}

}  // namespace feedd
