#include "store/json_columns.hpp"

#include <nlohmann/json.hpp>

namespace feedd::db {

namespace {
using nlohmann::json;

// Parse errors are not exceptions here: a damaged column costs that field, not the listing.
json parse_array(const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_array() ? value : json::array();
}
}  // namespace

std::string strings_to_json(const std::vector<std::string>& values) { return json(values).dump(); }

std::vector<std::string> strings_from_json(const std::string& text) {
  std::vector<std::string> values;
  for (const json& item : parse_array(text)) {
    if (item.is_string()) values.push_back(item.get<std::string>());
  }
  return values;
}

std::string enclosures_to_json(const std::vector<Enclosure>& enclosures) {
  json array = json::array();
  for (const Enclosure& enclosure : enclosures) {
    json item = {{"url", enclosure.url}};
    if (enclosure.type) item["type"] = *enclosure.type;
    if (enclosure.length) item["length"] = *enclosure.length;
    array.push_back(std::move(item));
  }
  return array.dump();
}

std::vector<Enclosure> enclosures_from_json(const std::string& text) {
  std::vector<Enclosure> enclosures;
  for (const json& item : parse_array(text)) {
    if (!item.is_object() || !item.contains("url") || !item["url"].is_string()) continue;
    Enclosure enclosure;
    enclosure.url = item["url"].get<std::string>();
    if (item.contains("type") && item["type"].is_string()) enclosure.type = item["type"].get<std::string>();
    if (item.contains("length") && item["length"].is_number_integer()) {
      enclosure.length = item["length"].get<std::int64_t>();
    }
    enclosures.push_back(std::move(enclosure));
  }
  return enclosures;
}

}  // namespace feedd::db
