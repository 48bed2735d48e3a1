#include "parse/xml_recovery.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <climits>
#include <memory>
#include <mutex>

namespace feedd::parse {

std::optional<std::string> rebuild_well_formed(std::string_view xml) {
  static std::once_flag init;
  // xmlInitParser is not thread-safe itself; everything after it is, per parser context.
  std::call_once(init, [] { xmlInitParser(); });
  if (xml.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  // RECOVER: keep going after errors. NONET: never fetch. No NOENT (entities stay
  // references, never expanded), no DTDLOAD/DTDATTR, no HUGE (libxml2's depth and size
  // limits stay on). NOERROR/NOWARNING keep libxml2 from printing to stderr.
  constexpr int kOptions = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, "UTF-8", kOptions), xmlFreeDoc);
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
