// Atom 1.0 (RFC 4287) rendering of the unified feed.

#include <pugixml.hpp>

#include <algorithm>

#include "feedd/render.hpp"
#include "render/etag.hpp"
#include "render/text.hpp"

namespace feedd {

namespace {

constexpr const char* kAtomNamespace = "http://www.w3.org/2005/Atom";
constexpr const char* kAtomContentType = "application/atom+xml; charset=utf-8";

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(const void* data, std::size_t size) override { out_.append(static_cast<const char*>(data), size); }

 private:
  std::string& out_;
};

// Every string that reaches the document goes through xml_safe: pugixml escapes markup
// but passes control characters and broken UTF-8 straight through.
pugi::xml_node add_text(pugi::xml_node parent, const char* name, std::string_view text) {
  pugi::xml_node node = parent.append_child(name);
  node.text().set(render::xml_safe(text).c_str());
  return node;
}

void set_attribute(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(render::xml_safe(value).c_str());
}

pugi::xml_node add_link(pugi::xml_node parent, std::string_view rel, std::string_view href) {
  pugi::xml_node link = parent.append_child("link");
  set_attribute(link, "rel", rel);
  set_attribute(link, "href", href);
  return link;
}

Timestamp newest_update(const std::vector<Story>& stories) {
  Timestamp newest{};
  for (const Story& story : stories) newest = std::max(newest, story.updated);
  return newest;
}

// Feed readers rarely show <source> or rel="via", so when several feeds carried a story
// their names also go into the text a person reads.
std::string sources_note_html(const Story& story) {
  std::string note = "<p>Also published by: ";
  for (std::size_t i = 0; i < story.sources.size(); ++i) {
    const StorySource& source = story.sources[i];
    if (i > 0) note += ", ";
    note += "<a href=\"" + render::escape_html(source.entry_link.value_or(source.url)) + "\">" +
            render::escape_html(source.name) + "</a>";
  }
  note += "</p>";
  return note;
}

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
    set_attribute(add_link(entry, "via", story.sources[i].url), "title", story.sources[i].name);
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
  pugi::xml_document doc;
  pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("utf-8");

  const Timestamp updated = newest_update(stories);
  pugi::xml_node feed = doc.append_child("feed");
  feed.append_attribute("xmlns").set_value(kAtomNamespace);
  add_text(feed, "id", output.id);
  set_attribute(add_text(feed, "title", output.title), "type", "text");
  add_link(feed, "alternate", output.link);
  set_attribute(add_link(feed, "self", self_url), "type", "application/atom+xml");
  add_text(feed, "updated", format_rfc3339(updated));
  add_text(feed.append_child("author"), "name", "feedd");
  set_attribute(add_text(feed, "generator", "feedd"), "version", FEEDD_VERSION);
  for (const Story& story : stories) add_entry(feed, story);

  RenderedFeed rendered;
  StringWriter writer(rendered.body);
  doc.save(writer, "  ", pugi::format_default, pugi::encoding_utf8);
  rendered.content_type = kAtomContentType;
  rendered.etag = render::strong_etag(rendered.body);
  rendered.last_modified = updated;
  return rendered;
}

}  // namespace feedd
