#pragma once
// The second, tolerant pass for documents pugixml rejects (feedparser's "bozo" feeds):
// libxml2's XML parser in recover mode reads what it can of mismatched, unclosed or
// truncated markup and writes it back as well-formed XML for pugixml. Only documents that
// fail the strict parse pay for it.

#include <optional>
#include <string>
#include <string_view>

namespace feedd::parse {

// Well-formed UTF-8 XML rebuilt from `xml` (UTF-8), or nullopt when not even a root
// element could be recovered. Unquoted and bare attribute values (href=foo, nowrap) are
// quoted first, as HTML reads them, and tags nested past 200 levels are left out (their
// text kept), so libxml2's limit of 256 levels never cuts the document short. Never loads
// a DTD or an external entity, never expands an entity.
std::optional<std::string> rebuild_well_formed(std::string_view xml);

}  // namespace feedd::parse
