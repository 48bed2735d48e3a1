// JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read with nlohmann::json.
// Its fields are typed already, so no table: one line per field.
#include <nlohmann/json.hpp>

#include "feedd/sanitize.hpp"
#include "parse/date_parser.hpp"
#include "parse/format_parsers.hpp"
#include "parse/text.hpp"
#include "parse/url_resolver.hpp"

namespace feedd::parse {
namespace {

using Json = nlohmann::json;

std::optional<std::string> string_at(const Json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  std::string value(trim(it->get_ref<const std::string&>()));
  if (value.empty()) return std::nullopt;
  return value;
}

std::optional<std::string> plain_at(const Json& object, const char* key) {
  auto text = string_at(object, key);
  if (!text) return std::nullopt;
  std::string plain = defuse_tags(html_to_text(escape_stray_angle_brackets(*text)));
  return plain.empty() ? std::nullopt : std::optional(plain);
}

// A javascript: or data: URL (however spelt) is dropped with a warning, as in XML feeds.
std::optional<std::string> url_at(const Json& object, const char* key, std::string_view base, const std::string& label,
                                  std::vector<std::string>& warnings) {
  auto text = string_at(object, key);
  if (!text) return std::nullopt;
  std::optional<std::string> url = safe_url(base, *text);
  if (!url) warnings.push_back(label + ": \"" + key + "\" URL with " + refused_scheme(*text) + " dropped");
  return url;
}

std::optional<std::string> html_of(std::string_view html, std::string_view base) {
  std::string clean(trim(sanitize_html(html, base)));
  return clean.empty() ? std::nullopt : std::optional(clean);
}

std::string escape_text(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

std::optional<Timestamp> date_at(const Json& object, const char* key, const std::string& label,
                                 std::vector<std::string>& warnings) {
  auto text = string_at(object, key);
  if (!text) return std::nullopt;
  const Timestamp now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  return read_field_date(*text, label, now, warnings);
}

// 1.0 has one "author" object, 1.1 an "authors" array; both are accepted in either.
std::vector<std::string> authors_of(const Json& object) {
  std::vector<std::string> out;
  const auto add = [&](const Json& author) {
    if (!author.is_object()) return;
    if (auto name = plain_at(author, "name"); name && std::find(out.begin(), out.end(), *name) == out.end())
      out.push_back(*name);
  };
  if (auto it = object.find("authors"); it != object.end() && it->is_array())
    for (const Json& author : *it) add(author);
  if (auto it = object.find("author"); it != object.end()) add(*it);
  return out;
}

Entry entry_of(const Json& item, std::string_view base, const std::string& label, std::vector<std::string>& warnings) {
  Entry entry;
  if (auto it = item.find("id"); it != item.end()) {
    if (it->is_string()) entry.id = string_at(item, "id");
    if (it->is_number()) entry.id = it->dump();  // 1.0 feeds in the wild use numbers
  }
  entry.title = plain_at(item, "title");
  entry.link = url_at(item, "url", base, label, warnings);
  if (!entry.link) entry.link = url_at(item, "external_url", base, label, warnings);
  entry.published = date_at(item, "date_published", label, warnings);
  entry.updated = date_at(item, "date_modified", label, warnings);
  entry.authors = authors_of(item);
  if (auto summary = string_at(item, "summary")) entry.summary = html_of(escape_text(*summary), base);
  if (auto html = string_at(item, "content_html")) {
    entry.content = html_of(*html, base);
  } else if (auto text = string_at(item, "content_text")) {
    entry.content = html_of(escape_text(*text), base);
  }
  if (auto tags = item.find("tags"); tags != item.end() && tags->is_array()) {
    for (const Json& tag : *tags) {
      if (!tag.is_string()) continue;
      std::string plain = defuse_tags(html_to_text(escape_stray_angle_brackets(tag.get<std::string>())));
      if (!plain.empty()) entry.categories.push_back(std::move(plain));
    }
  }
  if (auto attachments = item.find("attachments"); attachments != item.end() && attachments->is_array()) {
    for (const Json& attachment : *attachments) {
      if (!attachment.is_object()) continue;
      auto location = url_at(attachment, "url", base, label, warnings);
      if (!location) continue;
      Enclosure enclosure{*location, string_at(attachment, "mime_type"), std::nullopt};
      if (auto size = attachment.find("size_in_bytes"); size != attachment.end() && size->is_number_unsigned())
        enclosure.length = size->get<std::int64_t>();
      entry.enclosures.push_back(std::move(enclosure));
    }
  }
  return entry;
}

}  // namespace

Result<ParsedFeed> parse_json_feed(std::string_view text, std::string_view url) {
  const Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::parse("not well-formed JSON");
  const auto version = doc.is_object() ? string_at(doc, "version") : std::nullopt;
  if (!version || version->find("jsonfeed.org/version/") == std::string::npos)
    return Status::not_a_feed("JSON without a jsonfeed.org version");
  ParsedFeed feed;
  feed.format = version->ends_with("/1.1") ? FeedFormat::kJsonFeed11 : FeedFormat::kJsonFeed10;
  feed.feed.title = plain_at(doc, "title");
  feed.feed.link = url_at(doc, "home_page_url", url, "feed", feed.warnings);
  feed.feed.description = plain_at(doc, "description");
  feed.feed.language = string_at(doc, "language");
  feed.feed.image = url_at(doc, "icon", url, "feed", feed.warnings);
  if (!feed.feed.image) feed.feed.image = url_at(doc, "favicon", url, "feed", feed.warnings);
  const std::string base = feed.feed.link && !url_scheme(*feed.feed.link).empty() ? *feed.feed.link : std::string(url);
  if (auto items = doc.find("items"); items != doc.end() && items->is_array()) {
    for (const Json& item : *items) {
      if (!item.is_object()) continue;
      const std::string label = "entry " + std::to_string(feed.entries.size() + 1);
      feed.entries.push_back(entry_of(item, base, label, feed.warnings));
    }
  }
  return feed;
}

}  // namespace feedd::parse
