// to_parse_json: the `feedd parse` document of contracts/parse-json.md, schema 1. Key
// order follows the contract, so ordered_json and one key at a time.
#include <nlohmann/json.hpp>

#include "feedd/parse.hpp"

namespace feedd {
namespace {

using Json = nlohmann::ordered_json;

template <typename T>
Json or_null(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json or_null(const std::optional<Timestamp>& value) {
  return value ? Json(format_rfc3339(*value)) : Json(nullptr);
}

Json feed_json(const FeedMeta& meta) {
  Json out = Json::object();
  out["title"] = or_null(meta.title);
  out["link"] = or_null(meta.link);
  out["description"] = or_null(meta.description);
  out["language"] = or_null(meta.language);
  out["updated"] = or_null(meta.updated);
  out["image"] = or_null(meta.image);
  out["ttl_minutes"] = or_null(meta.ttl_minutes);
  return out;
}

Json enclosure_json(const Enclosure& enclosure) {
  Json out = Json::object();
  out["url"] = enclosure.url;
  out["type"] = or_null(enclosure.type);
  out["length"] = or_null(enclosure.length);
  return out;
}

Json entry_json(const Entry& entry) {
  Json out = Json::object();
  out["id"] = or_null(entry.id);
  out["title"] = or_null(entry.title);
  out["link"] = or_null(entry.link);
  out["published"] = or_null(entry.published);
  out["updated"] = or_null(entry.updated);
  out["authors"] = Json(entry.authors);
  out["summary"] = or_null(entry.summary);
  out["content"] = or_null(entry.content);
  out["categories"] = Json(entry.categories);
  out["enclosures"] = Json::array();
  for (const Enclosure& enclosure : entry.enclosures) out["enclosures"].push_back(enclosure_json(enclosure));
  out["content_hash"] = entry.content_hash;
  return out;
}

}  // namespace

std::string to_parse_json(const ParsedFeed& feed) {
  Json out = Json::object();
  out["schema"] = 1;
  out["format"] = format_name(feed.format);
  out["encoding"] = feed.encoding;
  out["feed"] = feed_json(feed.feed);
  out["entries"] = Json::array();
  for (const Entry& entry : feed.entries) out["entries"].push_back(entry_json(entry));
  out["warnings"] = Json(feed.warnings);
  // parse_feed guarantees UTF-8; `replace` keeps a hand-built ParsedFeed from throwing.
  // U+2028 and U+2029 are valid in JSON but end a line in JavaScript before ES2019: a
  // script that evaluates this output must not see its string literals broken.
  std::string text = out.dump(2, ' ', false, Json::error_handler_t::replace);
  for (const char* separator : {"\xE2\x80\xA8", "\xE2\x80\xA9"}) {
    const std::string escaped = separator[2] == '\xA8' ? "\\u2028" : "\\u2029";
    for (size_t at = text.find(separator); at != std::string::npos; at = text.find(separator, at + escaped.size()))
      text.replace(at, 3, escaped);
  }
  return text;
}

}  // namespace feedd
