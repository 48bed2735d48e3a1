#include <cctype>
#include <set>

#include "parse/html_entities.hpp"

namespace feedd::parse {
namespace {

constexpr size_t kMaxEntityWarnings = 20;

bool is_xml_predefined(std::string_view name) {
  return name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos";
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Sections whose `&` is not a reference: copied through untouched.
struct Opaque {
  std::string_view open;
  std::string_view close;
};
constexpr Opaque kOpaque[] = {{"<![CDATA[", "]]>"}, {"<!--", "-->"}, {"<?", "?>"}};

}  // namespace

std::string recover_html_entities(std::string_view xml, std::vector<std::string>& warnings) {
  if (xml.find('&') == std::string_view::npos) return std::string(xml);
  std::string out;
  out.reserve(xml.size() + 64);
  std::set<std::string, std::less<>> reported;
  size_t line = 1;
  size_t i = 0;
  while (i < xml.size()) {
    const char c = xml[i];
    if (c == '<') {
      bool skipped = false;
      for (const Opaque& section : kOpaque) {
        if (xml.substr(i, section.open.size()) != section.open) continue;
        size_t end = xml.find(section.close, i + section.open.size());
        end = end == std::string_view::npos ? xml.size() : end + section.close.size();
        const std::string_view body = xml.substr(i, end - i);
        for (char b : body) line += b == '\n';
        out.append(body);
        i = end;
        skipped = true;
        break;
      }
      if (skipped) continue;
    }
    if (c == '\n') ++line;
    if (c != '&') {
      out += c;
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < xml.size() && j - i <= 32 && is_name_char(xml[j])) ++j;
    const std::string_view name = xml.substr(i + 1, j - i - 1);
    const bool terminated = j < xml.size() && xml[j] == ';';
    const auto code_point = terminated && !name.empty() && !is_xml_predefined(name)
                                ? html_entity_code_point(name)
                                : std::nullopt;
    if (!code_point) {
      out += c;
      ++i;
      continue;
    }
    out += "&#" + std::to_string(static_cast<unsigned long>(*code_point)) + ";";
    if (reported.size() < kMaxEntityWarnings && reported.insert(std::string(name)).second)
      warnings.push_back("line " + std::to_string(line) + ": undefined entity &" + std::string(name) + "; recovered");
    i = j + 1;
  }
  return out;
}

}  // namespace feedd::parse
