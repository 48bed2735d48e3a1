#include "feedd/opml.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <sstream>

#include <pugixml.hpp>

namespace feedd {

namespace {

// "World News/Europe" -> "world-news-europe": the form feeds.conf accepts for a tag.
std::string tag_from_label(std::string_view label) {
  std::string tag;
  bool gap = false;
  for (unsigned char c : label) {
    if (std::isalnum(c) || c == '_' || c == '-' || c >= 0x80) {
      if (gap && !tag.empty()) tag.push_back('-');
      gap = false;
      tag.push_back(static_cast<char>(std::tolower(c)));
    } else {
      gap = true;
    }
  }
  return tag;
}

void add_tag(std::vector<std::string>& tags, std::string_view label) {
  std::string tag = tag_from_label(label);
  if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(std::move(tag));
}

// OPML 2.0 `category`: comma-separated; each a slash-delimited path whose last part names it.
void add_categories(std::vector<std::string>& tags, std::string_view categories) {
  while (!categories.empty()) {
    const auto comma = categories.find(',');
    std::string_view item = categories.substr(0, comma);
    categories = comma == std::string_view::npos ? std::string_view{} : categories.substr(comma + 1);
    while (!item.empty() && item.back() == '/') item.remove_suffix(1);
    if (const auto slash = item.rfind('/'); slash != std::string_view::npos) item = item.substr(slash + 1);
    add_tag(tags, item);
  }
}

std::optional<std::string> non_empty(const char* value) {
  std::string s(value);
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return std::nullopt;
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

}  // namespace

Result<std::vector<OpmlFeed>> read_opml(std::string_view document) {
  pugi::xml_document doc;
  // No DOCTYPE processing: an OPML file from elsewhere must not expand entities.
  const auto parsed = doc.load_buffer(document.data(), document.size(), pugi::parse_default & ~pugi::parse_doctype);
  if (!parsed) return Status::parse(std::string("not well-formed XML: ") + parsed.description());
  pugi::xml_node body = doc.child("opml").child("body");
  if (!body) return Status::parse("not an OPML document: no <opml><body>");

  std::vector<OpmlFeed> feeds;
  std::set<std::string> seen;
  // Iterative walk: each stack item is an outline and the folder tags above it.
  std::vector<std::pair<pugi::xml_node, std::vector<std::string>>> stack;
  for (auto child = body.last_child(); child; child = child.previous_sibling()) stack.emplace_back(child, std::vector<std::string>{});
  while (!stack.empty()) {
    auto [node, folders] = std::move(stack.back());
    stack.pop_back();
    if (std::string_view(node.name()) != "outline") continue;
    if (auto url = non_empty(node.attribute("xmlUrl").value())) {
      if (!seen.insert(*url).second) continue;
      OpmlFeed feed{*url, non_empty(node.attribute("title").value()), folders};
      if (!feed.title) feed.title = non_empty(node.attribute("text").value());
      if (feed.title == feed.url) feed.title.reset();  // a reader's placeholder, not a name
      add_categories(feed.tags, node.attribute("category").value());
      feeds.push_back(std::move(feed));
      continue;
    }
    // An outline without xmlUrl is a folder: its name tags everything inside it.
    std::vector<std::string> inner = folders;
    if (auto label = non_empty(node.attribute("text").value())) add_tag(inner, *label);
    else if (auto title = non_empty(node.attribute("title").value())) add_tag(inner, *title);
    if (stack.size() > 100000) return Status::parse("OPML document is too deeply nested");
    for (auto child = node.last_child(); child; child = child.previous_sibling()) stack.emplace_back(child, inner);
  }
  return feeds;
}

std::string to_feed_tables(const std::vector<OpmlFeed>& feeds) {
  std::string out;
  for (const OpmlFeed& feed : feeds) {
    out += "[[feed]]\nurl   = " + toml_string(feed.url) + "\n";
    if (feed.title) out += "title = " + toml_string(*feed.title) + "\n";
    if (!feed.tags.empty()) {
      out += "tags  = [";
      for (std::size_t i = 0; i < feed.tags.size(); ++i) out += (i ? ", " : "") + toml_string(feed.tags[i]);
      out += "]\n";
    }
    out += "\n";
  }
  return out;
}

std::string write_opml(const Config& config) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto opml = doc.append_child("opml");
  opml.append_attribute("version") = "2.0";
  auto head = opml.append_child("head");
  head.append_child("title").text().set(config.output.title.c_str());
  auto body = opml.append_child("body");
  for (const Source& source : config.sources) {
    auto outline = body.append_child("outline");
    const std::string name = source.title.value_or(source.url);
    outline.append_attribute("type") = "rss";
    outline.append_attribute("text") = name.c_str();
    if (source.title) outline.append_attribute("title") = source.title->c_str();
    outline.append_attribute("xmlUrl") = source.url.c_str();
    if (!source.tags.empty()) {
      std::string categories;
      for (const std::string& tag : source.tags) categories += (categories.empty() ? "" : ",") + tag;
      outline.append_attribute("category") = categories.c_str();
    }
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace feedd
