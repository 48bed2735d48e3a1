#include "parse/xml_recovery.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <climits>
#include <memory>
#include <mutex>

namespace feedd::parse {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Sections copied through untouched: their '<' and '=' are not markup.
struct Opaque {
  std::string_view open;
  std::string_view close;
};
constexpr Opaque kOpaque[] = {{"<![CDATA[", "]]>"}, {"<!--", "-->"}, {"<?", "?>"}, {"<!", ">"}};

void append_quoted(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    if (c == '"') {
      out += "&quot;";
    } else if (c == '<') {
      out += "&lt;";
    } else {
      out += c;
    }
  }
  out += '"';
}

// Copies the start tag at xml[i] (just past its name) to `out`, quoting what HTML habits
// leave unquoted: href=foo becomes href="foo", a bare attribute such as `nowrap` becomes
// nowrap="nowrap". libxml2's recovering parser otherwise gives up on the tag and, with
// it, on every element after it. Returns the position after the tag.
size_t quote_attributes(std::string_view xml, size_t i, std::string& out) {
  while (i < xml.size()) {
    const size_t space = i;
    while (i < xml.size() && is_space(xml[i])) ++i;
    out.append(xml.substr(space, i - space));
    if (i >= xml.size()) break;
    if (xml[i] == '>' || xml.substr(i, 2) == "/>" || xml[i] == '<') return i;
    const size_t name_start = i;
    while (i < xml.size() && !is_space(xml[i]) && xml[i] != '=' && xml[i] != '>' && xml[i] != '<' &&
           xml.substr(i, 2) != "/>")
      ++i;
    if (i == name_start) {  // a stray '/' or '=': copied, the parser judges it
      out += xml[i++];
      continue;
    }
    const std::string_view name = xml.substr(name_start, i - name_start);
    out.append(name);
    size_t j = i;
    while (j < xml.size() && is_space(xml[j])) ++j;
    if (j >= xml.size() || xml[j] != '=') {
      out += '=';
      append_quoted(out, name);
      continue;
    }
    out += '=';
    i = j + 1;
    while (i < xml.size() && is_space(xml[i])) ++i;
    if (i < xml.size() && (xml[i] == '"' || xml[i] == '\'')) {
      const size_t close = xml.find(xml[i], i + 1);
      const size_t end = close == std::string_view::npos ? xml.size() : close + 1;
      out.append(xml.substr(i, end - i));
      i = end;
      continue;
    }
    const size_t value_start = i;
    while (i < xml.size() && !is_space(xml[i]) && xml[i] != '>' && xml[i] != '<' && xml.substr(i, 2) != "/>") ++i;
    append_quoted(out, xml.substr(value_start, i - value_start));
  }
  return i;
}

// libxml2 stops reading at 256 open elements (no XML_PARSE_HUGE), and with it every entry
// after the deep one is lost. Tags opened past this depth are left out, with their end
// tags; their text stays.
constexpr size_t kMaxOpen = 200;

// The document with every start tag's attributes quoted (see quote_attributes) and
// nesting past kMaxOpen flattened; text, comments, CDATA, processing instructions and
// the doctype are copied as they are.
std::string quote_unquoted_attributes(std::string_view xml) {
  std::string out;
  out.reserve(xml.size() + xml.size() / 16);
  size_t depth = 0;
  size_t i = 0;
  while (i < xml.size()) {
    const size_t lt = xml.find('<', i);
    if (lt == std::string_view::npos) {
      out.append(xml.substr(i));
      break;
    }
    out.append(xml.substr(i, lt - i));
    i = lt;
    bool copied = false;
    for (const Opaque& section : kOpaque) {
      if (xml.substr(i, section.open.size()) != section.open) continue;
      const size_t close = xml.find(section.close, i + section.open.size());
      const size_t end = close == std::string_view::npos ? xml.size() : close + section.close.size();
      out.append(xml.substr(i, end - i));
      i = end;
      copied = true;
      break;
    }
    if (copied) continue;
    if (i + 2 < xml.size() && xml[i + 1] == '/' && is_ascii_letter(xml[i + 2])) {
      const bool dropped = depth > kMaxOpen;
      if (depth > 0) --depth;
      if (dropped) {
        const size_t close = xml.find('>', i);
        i = close == std::string_view::npos ? xml.size() : close + 1;
        continue;
      }
    }
    if (i + 1 >= xml.size() || !is_ascii_letter(xml[i + 1])) {
      out += xml[i++];
      continue;
    }
    size_t name_end = i + 1;
    while (name_end < xml.size() && !is_space(xml[name_end]) && xml[name_end] != '>' && xml[name_end] != '/' &&
           xml[name_end] != '<')
      ++name_end;
    const size_t tag_start = out.size();
    out.append(xml.substr(i, name_end - i));
    i = quote_attributes(xml, name_end, out);
    if (xml.substr(i, 2) == "/>") continue;
    if (++depth > kMaxOpen) {
      out.resize(tag_start);
      if (i < xml.size() && xml[i] == '>') ++i;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> rebuild_well_formed(std::string_view xml) {
  static std::once_flag init;
  // xmlInitParser is not thread-safe itself; everything after it is, per parser context.
  std::call_once(init, [] { xmlInitParser(); });
  if (xml.size() > static_cast<size_t>(INT_MAX) / 2) return std::nullopt;
  const std::string quoted = quote_unquoted_attributes(xml);
  if (quoted.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  // RECOVER: keep going after errors. NONET: never fetch. No NOENT (entities stay
  // references, never expanded), no DTDLOAD/DTDATTR, no HUGE (libxml2's depth and size
  // limits stay on). NOERROR/NOWARNING keep libxml2 from printing to stderr.
  constexpr int kOptions = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(quoted.data(), static_cast<int>(quoted.size()), nullptr, "UTF-8", kOptions), xmlFreeDoc);
  if (!doc || !xmlDocGetRootElement(doc.get())) return std::nullopt;
  // The internal subset is dropped: pugixml skips it anyway, and nothing of it is needed.
  if (xmlDtdPtr dtd = xmlGetIntSubset(doc.get())) {
    xmlUnlinkNode(reinterpret_cast<xmlNodePtr>(dtd));
    xmlFreeDtd(dtd);
  }
  xmlChar* out = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &out, &size, "UTF-8");
  if (!out) return std::nullopt;
  std::string rebuilt(reinterpret_cast<const char*>(out), static_cast<size_t>(size));
  xmlFree(out);
  return rebuilt;
}

}  // namespace feedd::parse
