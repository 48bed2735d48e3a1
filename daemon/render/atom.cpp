// Atom 1.0 (RFC 4287) rendering of the unified feed.

#include <algorithm>

#include "feedd/render.hpp"
#include "render/text.hpp"
#include "render/xml_writer.hpp"

namespace feedd {

namespace {

constexpr const char* kAtomNamespace = "http://www.w3.org/2005/Atom";
constexpr const char* kAtomContentType = "application/atom+xml; charset=utf-8";

using render::add_link;
using render::add_text;
using render::set_attribute;

using render::newest_update;
using render::sources_note_html;

void add_body(pugi::xml_node entry, const Story& story) {
  std::optional<std::string> summary = story.summary;
  std::optional<std::string> content = story.content;
  if (story.sources.size() > 1) {
    std::optional<std::string>& target = content ? content : summary;
    target = target.value_or("") + sources_note_html(story);
  }
  if (summary) set_attribute(add_text(entry, "summary", *summary), "type", "html");
  if (content) set_attribute(add_text(entry, "content", *content), "type", "html");
}

void add_origin(pugi::xml_node entry, const StorySource& origin) {
  pugi::xml_node source = entry.append_child("source");
  add_text(source, "id", origin.url);
  add_text(source, "title", origin.name);
  set_attribute(add_link(source, "self", origin.url), "type", "application/atom+xml");
}

void add_entry(pugi::xml_node feed, const Story& story) {
  pugi::xml_node entry = feed.append_child("entry");
  add_text(entry, "id", story.uid);
  set_attribute(add_text(entry, "title", story.title.value_or("(untitled)")), "type", "text");
  if (story.link) add_link(entry, "alternate", *story.link);
  for (std::size_t i = 1; i < story.sources.size(); ++i) {
    pugi::xml_node via = add_link(entry, "via", story.sources[i].url);
    set_attribute(via, "title", story.sources[i].name);
    // Why feedd merged this copy (RFC 4287 allows foreign attributes on links).
    if (story.sources[i].merge_reason) set_attribute(via, "feedd:merged", *story.sources[i].merge_reason);
  }
  for (const Enclosure& enclosure : story.enclosures) {
    pugi::xml_node link = add_link(entry, "enclosure", enclosure.url);
    if (enclosure.type) set_attribute(link, "type", *enclosure.type);
    if (enclosure.length) set_attribute(link, "length", std::to_string(*enclosure.length));
  }
  if (story.published) add_text(entry, "published", format_rfc3339(*story.published));
  add_text(entry, "updated", format_rfc3339(story.updated));
  // RFC 4287 wants an author per entry; the feed-level "feedd" author covers the rest.
  std::vector<std::string> authors = story.authors;
  if (authors.empty() && !story.sources.empty()) authors.push_back(story.sources.front().name);
  for (const std::string& author : authors) add_text(entry.append_child("author"), "name", author);
  for (const std::string& category : story.categories) {
    set_attribute(entry.append_child("category"), "term", category);
  }
  add_body(entry, story);
  if (!story.sources.empty()) add_origin(entry, story.sources.front());
}

}  // namespace

RenderedFeed render_atom(const OutputSettings& output, const std::vector<Story>& stories,
                         std::string_view self_url) {
  return render_atom(output, stories, FeedLinks{std::string(self_url), std::nullopt});
}

RenderedFeed render_atom(const OutputSettings& output, const std::vector<Story>& stories, const FeedLinks& links) {
  pugi::xml_document doc;
  render::add_declaration(doc);

  const Timestamp updated = newest_update(stories);
  pugi::xml_node feed = doc.append_child("feed");
  feed.append_attribute("xmlns").set_value(kAtomNamespace);
  feed.append_attribute("xmlns:feedd").set_value(render::kFeeddNamespace);
  add_text(feed, "id", output.id);
  set_attribute(add_text(feed, "title", output.title), "type", "text");
  add_link(feed, "alternate", output.link);
  set_attribute(add_link(feed, "self", links.self_url), "type", "application/atom+xml");
  if (links.next_url) set_attribute(add_link(feed, "next", *links.next_url), "type", "application/atom+xml");
  add_text(feed, "updated", format_rfc3339(updated));
  add_text(feed.append_child("author"), "name", "feedd");
  set_attribute(add_text(feed, "generator", "feedd"), "version", FEEDD_VERSION);
  for (const Story& story : stories) add_entry(feed, story);

  RenderedFeed rendered;
  rendered.body = render::to_string(doc);
  rendered.content_type = kAtomContentType;
  rendered.last_modified = updated;
  finish_render(rendered);
  return rendered;
}

std::string_view extension(OutputFormat format) {
  switch (format) {
    case OutputFormat::kAtom: return "atom";
    case OutputFormat::kRss: return "rss";
    case OutputFormat::kJson: return "json";
  }
  return "atom";
}

std::optional<OutputFormat> format_for_extension(std::string_view name) {
  for (OutputFormat format : kAllOutputFormats) {
    if (extension(format) == name) return format;
  }
  return std::nullopt;
}

RenderedFeed render_feed(OutputFormat format, const OutputSettings& output, const std::vector<Story>& stories,
                         const FeedLinks& links) {
  switch (format) {
    case OutputFormat::kAtom: return render_atom(output, stories, links);
    case OutputFormat::kRss: return render_rss(output, stories, links);
    case OutputFormat::kJson: return render_json_feed(output, stories, links);
  }
  return render_atom(output, stories, links);
}

}  // namespace feedd
