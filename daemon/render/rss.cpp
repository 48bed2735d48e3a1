// RSS 2.0 rendering of the unified feed, with the Atom namespace for what RSS lacks:
// the feed's self and next links (RFC 5005) and the other sources of a story (rel="via").

#include <algorithm>

#include "feedd/render.hpp"
#include "render/text.hpp"
#include "render/xml_writer.hpp"

namespace feedd {

namespace {

using render::add_link;
using render::add_text;
using render::set_attribute;

constexpr const char* kAtomNamespace = "http://www.w3.org/2005/Atom";
constexpr const char* kContentNamespace = "http://purl.org/rss/1.0/modules/content/";
constexpr const char* kDublinCoreNamespace = "http://purl.org/dc/elements/1.1/";
constexpr const char* kRssContentType = "application/rss+xml; charset=utf-8";

void add_item(pugi::xml_node channel, const Story& story) {
  pugi::xml_node item = channel.append_child("item");
  add_text(item, "title", story.title.value_or("(untitled)"));
  if (story.link) add_text(item, "link", *story.link);
  set_attribute(add_text(item, "guid", story.uid), "isPermaLink", "false");
  // pubDate places the item in a reader's list: the same time the unified feed sorts by.
  add_text(item, "pubDate", format_http_date(story.sort_time == Timestamp{} ? story.updated : story.sort_time));
  // RSS's <author> wants an e-mail address; Dublin Core's creator takes a name.
  for (const std::string& author : story.authors) add_text(item, "dc:creator", author);
  for (const std::string& category : story.categories) add_text(item, "category", category);
  // RSS allows one enclosure per item; the first is the one readers would play.
  if (!story.enclosures.empty()) {
    const Enclosure& enclosure = story.enclosures.front();
    pugi::xml_node node = item.append_child("enclosure");
    set_attribute(node, "url", enclosure.url);
    set_attribute(node, "length", std::to_string(enclosure.length.value_or(0)));
    set_attribute(node, "type", enclosure.type.value_or("application/octet-stream"));
  }
  const std::string note = story.sources.size() > 1 ? render::sources_note_html(story) : std::string();
  const std::optional<std::string>& short_text = story.summary ? story.summary : story.content;
  if (short_text) add_text(item, "description", *short_text + (story.content ? "" : note));
  if (story.content) add_text(item, "content:encoded", *story.content + note);
  for (std::size_t i = 1; i < story.sources.size(); ++i) {
    pugi::xml_node via =
        add_link(item, "via", story.sources[i].url, "atom:link");
    set_attribute(via, "title", story.sources[i].name);
    if (story.sources[i].merge_reason) set_attribute(via, "feedd:merged", *story.sources[i].merge_reason);
  }
  if (!story.sources.empty()) {
    const StorySource& origin = story.sources.front();
    set_attribute(add_text(item, "source", origin.name), "url", origin.url);
  }
}

}  // namespace

RenderedFeed render_rss(const OutputSettings& output, const std::vector<Story>& stories, const FeedLinks& links) {
  pugi::xml_document doc;
  render::add_declaration(doc);
  pugi::xml_node rss = doc.append_child("rss");
  rss.append_attribute("version").set_value("2.0");
  rss.append_attribute("xmlns:atom").set_value(kAtomNamespace);
  rss.append_attribute("xmlns:content").set_value(kContentNamespace);
  rss.append_attribute("xmlns:dc").set_value(kDublinCoreNamespace);
  rss.append_attribute("xmlns:feedd").set_value(render::kFeeddNamespace);

  const Timestamp updated = render::newest_update(stories);
  pugi::xml_node channel = rss.append_child("channel");
  add_text(channel, "title", output.title);
  add_text(channel, "link", output.link);
  add_text(channel, "description", output.title + " (" + output.id + "), collected by feedd");
  set_attribute(add_link(channel, "self", links.self_url, "atom:link"), "type", "application/rss+xml");
  if (links.next_url) set_attribute(add_link(channel, "next", *links.next_url, "atom:link"), "type", "application/rss+xml");
  add_text(channel, "lastBuildDate", format_http_date(updated));
  add_text(channel, "generator", "feedd " FEEDD_VERSION);
  for (const Story& story : stories) add_item(channel, story);

  RenderedFeed rendered;
  rendered.body = render::to_string(doc);
  rendered.content_type = kRssContentType;
  rendered.last_modified = updated;
  finish_render(rendered);
  return rendered;
}

}  // namespace feedd
